package sockio

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// answerLines has peer answer every line it reads with the line in upper
// case, after first sending early (when not empty); it ends at EOF.
func answerLines(peer net.Conn, early string) {
	if early != "" {
		_, _ = io.WriteString(peer, early)
	}
	br := bufio.NewReader(peer)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		_, _ = io.WriteString(peer, strings.ToUpper(line))
	}
}

// readReply reads with WriteRead, then Read, until want's length came.
func readReply(t *testing.T, c *Conn, w []byte, want string) {
	t.Helper()
	buf := make([]byte, len(want))
	n, err := c.WriteRead(w, buf)
	for err == nil && n < len(buf) {
		var m int
		m, err = c.Read(buf[n:])
		n += m
	}
	if err != nil || string(buf[:n]) != want {
		t.Fatalf("WriteRead(%.20q) read %q, %v; want %q", w, buf[:n], err, want)
	}
}

// TestWriteReadExchanges: each request goes out and its reply comes back
// in one call, again and again on one connection.
func TestWriteReadExchanges(t *testing.T) {
	c, nc, peer := pair(t)
	go answerLines(peer, "")                            // ends when the connections close
	_ = nc.SetReadDeadline(time.Now().Add(time.Minute)) // a hang fails, not a speed
	for i := range 200 {
		line := strings.Repeat("x", i) + "\n"
		readReply(t, c, []byte(line), strings.ToUpper(line))
	}
}

// TestWriteReadWhatCameBefore: bytes the socket held before the call,
// which the poller had seen, are read with the reply.
func TestWriteReadWhatCameBefore(t *testing.T) {
	c, nc, peer := pair(t)
	go answerLines(peer, "early ")
	waitReadable(t, nc, len("early "))
	_ = nc.SetReadDeadline(time.Now().Add(time.Minute))
	readReply(t, c, []byte("hello\n"), "early HELLO\n")
}

// TestWriteReadLargeRequest: a request larger than the socket buffers
// goes out in parts, waiting for room, and its reply is read.
func TestWriteReadLargeRequest(t *testing.T) {
	c, nc, peer := pair(t)
	want := bytes.Repeat([]byte("abcdefgh"), 1<<20)
	got := readSlowlyThenAnswer(peer, len(want))
	_ = nc.SetReadDeadline(time.Now().Add(time.Minute))
	readReply(t, c, want, "done\n")
	if !bytes.Equal(<-got, want) {
		t.Fatal("the peer did not get the request whole and in order")
	}
}

// TestWriteReadErrors: a deadline passed is a timeout (nothing written);
// a peer gone answers with an error, not a wait; a closed connection is
// net.ErrClosed.
func TestWriteReadErrors(t *testing.T) {
	c, nc, peer := pair(t)
	_ = nc.SetReadDeadline(time.Now().Add(-time.Second))
	var ne net.Error
	if _, err := c.WriteRead([]byte("x\n"), make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("WriteRead past the deadline: %v, want a timeout", err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(time.Minute))
	peer.Close()
	waitReadable(t, nc, 0) // the FIN is in
	if _, err := c.WriteRead([]byte("y\n"), make([]byte, 1)); err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Errorf("WriteRead to a peer gone: %v, want EOF or a reset", err)
	}
	nc.Close()
	if _, err := c.WriteRead([]byte("z\n"), make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("WriteRead after Close: %v, want net.ErrClosed", err)
	}
}

// waitReadable waits until nc's socket holds n bytes, or its end when n
// is 0, without reading them.
func waitReadable(t *testing.T, nc net.Conn, n int) {
	t.Helper()
	rc, err := nc.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, max(n, 1))
	for range 60000 { // a minute at most: a hang fails, not a speed
		got := -1
		_ = rc.Control(func(fd uintptr) {
			got, _, _ = syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		})
		if got == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("the socket never held %d bytes", n)
}
