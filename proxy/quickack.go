package proxy

import (
	"context"
	"io"
	"net"
	"syscall"

	"github.com/spawnhub/spawnhub/proxy/sockio"
)

// Prompt acknowledgements upstream. Jupyter (tornado) leaves Nagle's
// algorithm on, so each small reply after the first waits for the ACK of
// the one before; a receiver in delayed-ACK mode holds that ACK for about
// 40 ms. The proxy's connections to workspaces therefore ask the kernel
// to acknowledge at once after every read (Linux TCP_QUICKACK, which is
// not sticky: the kernel falls back to delayed ACKs on its own), and send
// without delay (TCP_NODELAY; the client leg has it from net/http).

// dialFunc opens a connection to a workspace.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// upstreamDial is the dial function of every connection to a workspace,
// HTTP and websocket: d's connections with TCP_NODELAY and, unless
// delayedAcks, acknowledging what they read at once.
func upstreamDial(d *net.Dialer, delayedAcks bool) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc, ok := c.(*net.TCPConn)
		if !ok {
			return c, nil
		}
		if err := tc.SetNoDelay(true); err != nil {
			_ = c.Close()
			return nil, err
		}
		if delayedAcks || !quickAckSupported {
			return c, nil
		}
		return newQuickAckConn(tc)
	}
}

// quickAckConn is a TCP connection that sets TCP_QUICKACK after each read
// that returned data. It hides *net.TCPConn's WriteTo (which would read
// without it) but keeps what other layers look for: SyscallConn (the
// lean client's liveness peek), CloseWrite and ReadFrom.
type quickAckConn struct {
	net.Conn
	tcp *net.TCPConn
	raw syscall.RawConn
	io  *sockio.Conn
	// held: reads leave ACKs to the kernel (the lean client sets it while
	// no response body is to come, see h1's acker).
	held bool
}

func newQuickAckConn(tc *net.TCPConn) (*quickAckConn, error) {
	raw, err := tc.SyscallConn()
	if err != nil {
		_ = tc.Close()
		return nil, err
	}
	return &quickAckConn{Conn: tc, tcp: tc, raw: raw, io: sockio.New(tc)}, nil
}

// Read reads, then asks the kernel to acknowledge it at once. A failure
// to set the option only costs latency, so it is ignored.
func (c *quickAckConn) Read(p []byte) (int, error) {
	n, err := c.io.Read(p)
	c.ackRead(n)
	return n, err
}

// WriteRead writes a request and reads the start of its reply in one
// wait (sockio.Conn.WriteRead), acknowledging what it read as Read does.
// The lean client sends its requests so.
func (c *quickAckConn) WriteRead(w, r []byte) (int, error) {
	n, err := c.io.WriteRead(w, r)
	c.ackRead(n)
	return n, err
}

// ackRead acknowledges n bytes just read at once, unless held.
func (c *quickAckConn) ackRead(n int) {
	if n > 0 && !c.held {
		_ = c.raw.Control(setQuickAck)
	}
}

// Write writes p with a raw system call (package sockio).
func (c *quickAckConn) Write(p []byte) (int, error) { return c.io.Write(p) }

// AckReads turns the ACK after each read on (acknowledging at once what
// was read so far) or off. The lean client calls it between its reads.
func (c *quickAckConn) AckReads(on bool) {
	if on && c.held {
		_ = c.raw.Control(setQuickAck)
	}
	c.held = !on
}

func (c *quickAckConn) SyscallConn() (syscall.RawConn, error) { return c.raw, nil }
func (c *quickAckConn) CloseWrite() error                     { return c.tcp.CloseWrite() }

func (c *quickAckConn) ReadFrom(r io.Reader) (int64, error) { return c.tcp.ReadFrom(r) }
