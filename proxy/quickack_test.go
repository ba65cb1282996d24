//go:build linux

package proxy

import (
	"context"
	"io"
	"net"
	"syscall"
	"testing"
)

// dialPair connects a client dialled with upstreamDial to a loopback
// listener and returns both ends.
func dialPair(t testing.TB, delayedAcks bool) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = upstreamDial(&net.Dialer{}, delayedAcks)(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func tcpOption(t testing.TB, c net.Conn, opt int) int {
	t.Helper()
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var serr error
	if err := raw.Control(func(fd uintptr) { v, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, opt) }); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatalf("getsockopt %d: %v", opt, serr)
	}
	return v
}

func setTCPOption(t testing.TB, c net.Conn, opt, v int) {
	t.Helper()
	raw, _ := c.(syscall.Conn).SyscallConn()
	var serr error
	if err := raw.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, opt, v) }); err != nil || serr != nil {
		t.Fatalf("setsockopt %d: %v %v", opt, err, serr)
	}
}

// readOne has the server send a byte and the client read it.
func readOne(t testing.TB, client, server net.Conn) {
	t.Helper()
	if _, err := server.Write([]byte{'x'}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(client, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
}

// TestUpstreamQuickAck: a connection to a workspace sends without delay
// and, after each read, is out of delayed-ACK mode again (the kernel reads
// TCP_QUICKACK back as "not in delayed-ACK mode").
func TestUpstreamQuickAck(t *testing.T) {
	client, server := dialPair(t, false)
	if got := tcpOption(t, client, syscall.TCP_NODELAY); got != 1 {
		t.Errorf("TCP_NODELAY = %d, want 1", got)
	}
	for i := range 3 {
		setTCPOption(t, client, syscall.TCP_QUICKACK, 0) // as the kernel does in an exchange
		if got := tcpOption(t, client, syscall.TCP_QUICKACK); got != 0 {
			t.Fatalf("TCP_QUICKACK after setting 0 = %d: the kernel does not report it, the test proves nothing", got)
		}
		readOne(t, client, server)
		if got := tcpOption(t, client, syscall.TCP_QUICKACK); got != 1 {
			t.Errorf("read %d: TCP_QUICKACK = %d after a read, want 1", i, got)
		}
	}
}

// TestUpstreamDelayedAcks: with the switch off the connection is the plain
// TCP connection, still without Nagle's delay.
func TestUpstreamDelayedAcks(t *testing.T) {
	client, server := dialPair(t, true)
	if _, ok := client.(*quickAckConn); ok {
		t.Fatal("DelayedAcks: the connection sets TCP_QUICKACK")
	}
	if got := tcpOption(t, client, syscall.TCP_NODELAY); got != 1 {
		t.Errorf("TCP_NODELAY = %d, want 1", got)
	}
	setTCPOption(t, client, syscall.TCP_QUICKACK, 0)
	readOne(t, client, server)
	if got := tcpOption(t, client, syscall.TCP_QUICKACK); got != 0 {
		t.Errorf("TCP_QUICKACK = %d after a read with DelayedAcks, want 0 (left to the kernel)", got)
	}
}

// TestQuickAckConnInterfaces: the wrapper keeps what the lean client and
// relays look for on a TCP connection.
func TestQuickAckConnInterfaces(t *testing.T) {
	client, _ := dialPair(t, false)
	if _, ok := client.(*quickAckConn); !ok {
		t.Fatalf("dialled %T, want *quickAckConn", client)
	}
	if _, ok := client.(syscall.Conn); !ok {
		t.Error("no SyscallConn: the lean client cannot peek at idle connections")
	}
	if _, ok := client.(interface{ CloseWrite() error }); !ok {
		t.Error("no CloseWrite")
	}
	if _, ok := client.(io.WriterTo); ok {
		t.Error("WriterTo would read without TCP_QUICKACK")
	}
}

// BenchmarkQuickAck is what TCP_QUICKACK adds to each read from a
// workspace: one setsockopt through the connection's RawConn.
func BenchmarkQuickAck(b *testing.B) {
	client, _ := dialPair(b, false)
	raw := client.(*quickAckConn).raw
	for b.Loop() {
		if err := raw.Control(setQuickAck); err != nil {
			b.Fatal(err)
		}
	}
}

// TestUpstreamAckReadsHeld: while the lean client holds ACKs back, a read
// leaves the connection in delayed-ACK mode; letting them go acknowledges
// at once, and so does every read after.
func TestUpstreamAckReadsHeld(t *testing.T) {
	client, server := dialPair(t, false)
	qc := client.(*quickAckConn)
	qc.AckReads(false)
	setTCPOption(t, client, syscall.TCP_QUICKACK, 0)
	readOne(t, client, server)
	if got := tcpOption(t, client, syscall.TCP_QUICKACK); got != 0 {
		t.Errorf("held: TCP_QUICKACK = %d after a read, want 0 (left to the kernel)", got)
	}
	qc.AckReads(true)
	if got := tcpOption(t, client, syscall.TCP_QUICKACK); got != 1 {
		t.Errorf("AckReads(true): TCP_QUICKACK = %d, want 1", got)
	}
	setTCPOption(t, client, syscall.TCP_QUICKACK, 0)
	readOne(t, client, server)
	if got := tcpOption(t, client, syscall.TCP_QUICKACK); got != 1 {
		t.Errorf("released: TCP_QUICKACK = %d after a read, want 1", got)
	}
}
