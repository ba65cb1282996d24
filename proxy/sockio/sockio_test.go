package sockio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// pair returns both ends of a loopback TCP connection; the first is
// wrapped.
func pair(t *testing.T) (*Conn, net.Conn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() { // ends with the one accept
		c, _ := l.Accept()
		accepted <- c
	}()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	t.Cleanup(func() { nc.Close(); peer.Close() })
	c := New(nc)
	if c == nil {
		t.Fatal("New(a TCP connection) = nil")
	}
	return c, nc, peer
}

// TestLargeWriteToSlowReader: a write larger than the socket buffers
// waits for room (partial writes, EAGAIN) and arrives whole and in order,
// while the same connection reads.
func TestLargeWriteToSlowReader(t *testing.T) {
	c, _, peer := pair(t)
	want := make([]byte, 8<<20)
	for i := range want {
		want[i] = byte(i * 7)
	}
	got := readSlowlyThenAnswer(peer, len(want))
	if n, err := c.Write(want); n != len(want) || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(want))
	}
	if !bytes.Equal(<-got, want) {
		t.Fatal("the peer did not get the bytes written, in order")
	}
	line := make([]byte, 5)
	if _, err := io.ReadFull(c, line); err != nil || string(line) != "done\n" {
		t.Fatalf("Read = %q, %v; want done", line, err)
	}
}

// readSlowlyThenAnswer has peer read n bytes slowly (a pause every MiB),
// answer "done\n" and send what it read on the channel.
func readSlowlyThenAnswer(peer net.Conn, n int) <-chan []byte {
	got := make(chan []byte, 1)
	go func() { // ends once n bytes came, or the connection failed
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for b.Len() < n {
			m, err := peer.Read(buf)
			if err != nil {
				break
			}
			b.Write(buf[:m])
			if b.Len()%(1<<20) < 4096 {
				time.Sleep(time.Millisecond)
			}
		}
		_, _ = peer.Write([]byte("done\n"))
		got <- b.Bytes()
	}()
	return got
}

// TestErrorsAsNetConn: EOF, deadlines, a closed connection and a reset
// peer give the errors net.Conn gives.
func TestErrorsAsNetConn(t *testing.T) {
	c, nc, peer := pair(t)
	_ = nc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	var ne net.Error
	if _, err := c.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read past the deadline: %v, want a timeout", err)
	}
	_ = nc.SetReadDeadline(time.Time{})
	peer.Close()
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("Read after the peer closed = %d, %v; want 0, EOF", n, err)
	}
	var err error
	for range 100 { // the peer's RST answers a write, and fails a later one
		if _, err = c.Write([]byte("x")); err != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "write" {
		t.Errorf("Write to a closed peer: %v, want a write *net.OpError", err)
	}
	nc.Close()
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close: %v, want net.ErrClosed", err)
	}
}

func TestNewWithoutSocket(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if c := New(a); c != nil {
		t.Errorf("New(net.Pipe) = %v, want nil", c)
	}
}
