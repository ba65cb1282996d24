package headscan

import (
	"bytes"
	"testing"
)

// plainByByte is Plain one byte at a time: what Plain must agree with.
func plainByByte(b []byte) int {
	for i, c := range b {
		if !plainByte(c) {
			return i
		}
	}
	return len(b)
}

// scanByByte is Scan as the lean parser once did it: the first CRLF CRLF,
// then every byte before it plain or part of a CRLF.
func scanByByte(b []byte) (int, Result) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		for i, c := range b {
			switch {
			case plainByte(c):
			case c == '\r' && (i+1 == len(b) || b[i+1] == '\n'):
			case c == '\n' && i > 0 && b[i-1] == '\r':
			default:
				return 0, Other
			}
		}
		return 0, Partial
	}
	n := end + 4
	for i, c := range b[:n] {
		switch {
		case plainByte(c):
		case c == '\r' && b[i+1] == '\n':
		case c == '\n' && i > 0 && b[i-1] == '\r':
		default:
			return 0, Other
		}
	}
	return n, Done
}

func TestScan(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want Result
	}{
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest", 27, Done},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27, Done},
		{"\r\n", 0, Partial},
		{"\r\n\r\n", 4, Done},
		{"GET / HTTP/1.1\r\nHost: a\r\n", 0, Partial},
		{"GET / HTTP/1.1\r\nHost: a\r", 0, Partial},
		{"", 0, Partial},
		{"GET / HTTP/1.1\nHost: a\r\n\r\n", 0, Other},
		{"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 0, Other},
		{"GET / HTTP/1.1\r\nX: \x00\r\n\r\n", 0, Other},
		{"GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n", 0, Other},
		{"GET / HTTP/1.1\r\nX: a\tb\r\n\r\n", 26, Done},
		{"GET / HTTP/1.1\r\nX: \x7f", 0, Other},
	} {
		n, got := Scan([]byte(tt.in))
		if n != tt.n || got != tt.want {
			t.Errorf("Scan(%q) = %d, %v, want %d, %v", tt.in, n, got, tt.n, tt.want)
		}
	}
}

func TestPlainEveryByteAtEveryPlace(t *testing.T) {
	for c := 0; c < 256; c++ {
		for at := 0; at < 20; at++ {
			b := bytes.Repeat([]byte("a"), 20)
			b[at] = byte(c)
			if got, want := Plain(b), plainByByte(b); got != want {
				t.Fatalf("Plain(%q) = %d, want %d", b, got, want)
			}
		}
	}
}

func FuzzPlain(f *testing.F) {
	f.Add([]byte("Host: example.com\t\x7f"))
	f.Add([]byte("\xff\x00 abcdefgh"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Plain(b), plainByByte(b); got != want {
			t.Fatalf("Plain(%q) = %d, want %d", b, got, want)
		}
	})
}

// FuzzScan holds Scan to the byte-by-byte scan it replaces.
func FuzzScan(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r"))
	f.Add([]byte("a\n\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, got := Scan(b)
		wn, want := scanByByte(b)
		if n != wn || got != want {
			t.Fatalf("Scan(%q) = %d, %v, want %d, %v", b, n, got, wn, want)
		}
	})
}
