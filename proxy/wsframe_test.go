package proxy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// FuzzFrameHeader checks parseFrameHeader on any bytes: a header is never
// longer than its input, no prefix of it parses whole, bytes after it
// change nothing, its fields say what its bytes say, and gorilla reads a
// whole masked data frame with the same type, length and payload.
func FuzzFrameHeader(f *testing.F) {
	for _, seed := range [][]byte{
		{0x81, 0x85, 1, 2, 3, 4, 'h' ^ 1, 'e' ^ 2, 'l' ^ 3, 'l' ^ 4, 'o' ^ 1},
		{0x82, 0xfe, 0x01, 0x00, 9, 9, 9, 9},
		{0x02, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4},
		{0x88, 0x02, 0x03, 0xe8},
		{0x89, 0x80, 0, 0, 0, 0},
		{0x8a, 0x7e, 0, 200},
		{0xc1, 0x80, 1, 1, 1, 1},
		{0x83, 0x00},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := parseFrameHeader(b, 0)
		if n < 0 || n > len(b) || n > maxFrameHeader || (n > 0 && err != nil) {
			t.Fatalf("parse %x = %d, %v: want 0 < n <= %d without error, or 0", b, n, err, min(len(b), maxFrameHeader))
		}
		if n == 0 {
			return
		}
		for k := range n {
			if _, m, perr := parseFrameHeader(b[:k], 0); m != 0 || (perr != nil && perr != err) {
				t.Fatalf("prefix %x of header %x parsed as %d, %v", b[:k], b[:n], m, perr)
			}
		}
		h2, n2, err2 := parseFrameHeader(append(b[:n:n], 0xff, 0x7f), 0)
		if h2 != h || n2 != n || err2 != nil {
			t.Fatalf("header %x followed by bytes parsed differently", b[:n])
		}
		checkFields(t, b[:n], h)
		if h.masked && h.isData() && h.opcode != opContinuation && h.fin && h.length <= 4096 {
			checkWithGorilla(t, b[:n], h)
		}
	})
}

// checkFields decodes header b by the book and compares.
func checkFields(t *testing.T, b []byte, h frameHeader) {
	t.Helper()
	want := frameHeader{fin: b[0]&0x80 != 0, rsv: b[0] & 0x70, opcode: b[0] & 0xf, masked: b[1]&0x80 != 0}
	rest := b[2:]
	switch l := b[1] & 0x7f; l {
	case 126:
		want.length, rest = int64(binary.BigEndian.Uint16(rest)), rest[2:]
	case 127:
		want.length, rest = int64(binary.BigEndian.Uint64(rest)), rest[8:]
	default:
		want.length = int64(l)
	}
	if want.masked {
		copy(want.mask[:], rest)
		rest = rest[4:]
	}
	if len(rest) != 0 || want != h || h.rsv != 0 || (h.isControl() && (!h.fin || h.length > 125)) {
		t.Fatalf("header %x = %+v, want %+v and a valid frame", b, h, want)
	}
}

// checkWithGorilla has gorilla, as a server, read the frame with header b
// and a payload, and compares what it reads.
func checkWithGorilla(t *testing.T, b []byte, h frameHeader) {
	t.Helper()
	payload := make([]byte, h.length)
	for i := range payload {
		payload[i] = byte(i*7) ^ h.mask[i&3]
	}
	c := gorillaServer(t, append(append([]byte{}, b...), payload...))
	mt, got, err := c.ReadMessage()
	if err != nil || mt != int(h.opcode) || len(got) != int(h.length) {
		t.Fatalf("gorilla read frame %x as %d, %d bytes, %v; want %d, %d bytes", b, mt, len(got), err, h.opcode, h.length)
	}
	for i := range got {
		if got[i] != byte(i*7) {
			t.Fatalf("gorilla unmasked byte %d of frame %x as %d, want %d", i, b, got[i], byte(i*7))
		}
	}
}

// gorillaServer is gorilla's server side of a websocket whose client sends
// stream.
func gorillaServer(t *testing.T, stream []byte) *websocket.Conn {
	t.Helper()
	r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	r.Header = http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"},
		"Sec-Websocket-Version": {"13"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}}
	conn := &bytesConn{r: bytes.NewReader(stream)}
	up := websocket.Upgrader{ReadBufferSize: 256, WriteBufferSize: 256}
	c, err := up.Upgrade(&hijackable{conn: conn}, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hijackable is a ResponseWriter whose connection is conn.
type hijackable struct {
	http.ResponseWriter
	conn net.Conn
}

func (h *hijackable) Header() http.Header { return http.Header{} }
func (h *hijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return h.conn, bufio.NewReadWriter(bufio.NewReader(h.conn), bufio.NewWriter(h.conn)), nil
}

// bytesConn reads r and discards what is written.
type bytesConn struct {
	net.Conn
	r io.Reader
}

func (c *bytesConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *bytesConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *bytesConn) Close() error                     { return nil }
func (c *bytesConn) SetDeadline(time.Time) error      { return nil }
func (c *bytesConn) SetReadDeadline(time.Time) error  { return nil }
func (c *bytesConn) SetWriteDeadline(time.Time) error { return nil }
