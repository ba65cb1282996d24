// Package sockio reads and writes sockets (and sets their options) with
// raw system calls, through their syscall.RawConn: the Go runtime's poller
// still waits for them, but a call does not hand the goroutine's processor
// over (entersyscall), which on a busy relay costs more than the call: the
// runtime's monitor keeps taking processors back from calls that lasted a
// few microseconds and wakes threads to run what they held, and any call's
// return wakes the monitor from its sleep to poll every 20 µs again. A
// socket here is non-blocking, so no call can block.
package sockio

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// Conn reads and writes one socket; it is safe for one reader and one
// writer at a time, as a net.Conn.
type Conn struct {
	raw syscall.RawConn
	nc  net.Conn // for the addresses of an error

	rmu   sync.Mutex // one Read at a time; guards rp, rn, rerr
	rp    []byte
	rn    int
	rerr  syscall.Errno
	readF func(uintptr) bool // c.read, bound once
	fused bool               // in WriteRead, c.wp to write first; guarded by both

	wmu    sync.Mutex // one Write at a time; guards wp, wn, werr
	wp     []byte
	wn     int
	werr   syscall.Errno
	writeF func(uintptr) bool // c.write, bound once
}

// New returns a Conn for nc's socket, or nil when nc has none.
func New(nc net.Conn) *Conn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	c := &Conn{raw: raw, nc: nc}
	c.readF, c.writeF = c.read, c.write
	return c
}

// Read reads what the socket holds into p, waiting for something when it
// holds nothing, as net.Conn's Read does (deadlines included).
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.rp, c.rn, c.rerr = p, 0, 0
	err := c.raw.Read(c.readF)
	return c.readResult(err)
}

func (c *Conn) readResult(err error) (int, error) {
	c.rp = nil
	switch {
	case err != nil:
		return 0, c.opError("read", err)
	case c.rerr != 0:
		return 0, c.opError("read", os.NewSyscallError("read", c.rerr))
	case c.rn == 0:
		return 0, io.EOF
	}
	return c.rn, nil
}

// WriteRead writes all of w (a request), then reads into r (the start of
// its reply) as Read does. It makes no attempt to read before the poller
// tells it the socket has something, which for a reply to w can only be
// once w went out: one system call less than Write then Read, whose
// first attempt finds nothing (the reply has not come yet). The wait
// begins by forgetting what the poller saw before, so a reply that comes
// once w is out wakes it, and what the socket held before is read with
// the reply; but what a peer sent before the call and nothing after (its
// end, pipelined bytes) waits for the read deadline: for a peer that
// answers w only. When the socket has no room for all of w, the rest is
// written as Write does and the read starts afresh. An error writing is
// WriteRead's.
func (c *Conn) WriteRead(w, r []byte) (int, error) {
	if len(r) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.rp, c.rn, c.rerr = r, 0, 0
	c.wp, c.wn, c.werr, c.fused = w, 0, 0, len(w) > 0
	defer func() { c.wp, c.fused = nil, false }()
	err := c.raw.Read(c.readF)
	if err != nil || !c.fused {
		return c.readResult(err) // written, then read; or the wait failed
	}
	c.fused = false // the bytes did not all go
	if c.werr == 0 {
		if err := c.raw.Write(c.writeF); err != nil {
			return 0, c.opError("write", err)
		}
	}
	if c.werr != 0 {
		return 0, c.opError("write", os.NewSyscallError("write", c.werr))
	}
	return c.readResult(c.raw.Read(c.readF))
}

func (c *Conn) read(fd uintptr) bool {
	if c.fused {
		return c.writeFirst(fd)
	}
	n, errno := ReadFD(fd, c.rp)
	switch errno {
	case 0:
		c.rn = n
	case syscall.EAGAIN:
		return false // the poller waits, then calls again
	default:
		c.rerr = errno
	}
	return true
}

// writeFirst is WriteRead's first call in its wait: it writes c.wp, then
// waits to read without trying (false); it ends the wait (true, c.fused
// left) when the bytes do not all go or fail to.
func (c *Conn) writeFirst(fd uintptr) bool {
	if !c.write(fd) || c.werr != 0 {
		return true
	}
	c.fused = false
	return false
}

// ReadFD reads into p (not empty) from the non-blocking socket fd with a
// raw system call, again when interrupted; for a syscall.RawConn's Read.
func ReadFD(fd uintptr, p []byte) (int, syscall.Errno) {
	for {
		n, errno := rawRead(fd, p)
		if errno != syscall.EINTR {
			return n, errno
		}
	}
}

// SetsockoptInt sets an integer option of the socket fd with a raw system
// call; for a syscall.RawConn's Control.
func SetsockoptInt(fd uintptr, level, opt, value int) syscall.Errno {
	return setsockoptInt(fd, level, opt, value)
}

// Write writes all of p, waiting for room as net.Conn's Write does.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wp, c.wn, c.werr = p, 0, 0
	err := c.raw.Write(c.writeF)
	n := c.wn
	c.wp = nil
	switch {
	case err != nil:
		return n, c.opError("write", err)
	case c.werr != 0:
		return n, c.opError("write", os.NewSyscallError("write", c.werr))
	}
	return n, nil
}

func (c *Conn) write(fd uintptr) bool {
	for c.wn < len(c.wp) {
		rest := c.wp[c.wn:]
		n, errno := rawWrite(fd, rest)
		switch errno {
		case 0:
			c.wn += n
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			c.werr = errno
			return true
		}
	}
	return true
}

func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(), Err: err}
}
