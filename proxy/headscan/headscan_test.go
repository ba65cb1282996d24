package headscan

import (
	"bytes"
	"testing"
)

func plainByte(c byte) bool { return ' ' <= c && c < 0x7f || c == '\t' }

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

func TestScanEveryByteAtEveryPlace(t *testing.T) {
	for c := 0; c < 256; c++ {
		for at := 0; at < 30; at++ {
			b := []byte("GET / HTTP/1.1\r\nHost: abcdefghijklm\r\n\r\n")
			b[at] = byte(c)
			n, got := Scan(b)
			if wn, want := scanByByte(b); n != wn || got != want {
				t.Fatalf("Scan(%q) = %d, %v, want %d, %v", b, n, got, wn, want)
			}
		}
	}
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

func TestHasCTL(t *testing.T) {
	for s, want := range map[string]bool{"": false, "a=1&b=%20": false, "a\tb": true, "a\x00": true, "\x7f": true, "é": false, "a b": false} {
		if got := HasCTL(s); got != want {
			t.Errorf("HasCTL(%q) = %v, want %v", s, got, want)
		}
	}
}
