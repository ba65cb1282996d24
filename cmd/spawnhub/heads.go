package main

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/spawnhub/spawnhub/proxy/sockio"
)

// A headGate bounds the connections that hold a file descriptor without a
// request to serve: new connections whose first request head has not been
// read in full, and keep-alive connections idle between requests (they too
// wait for a head). When a cap is reached it closes the oldest of them, idle
// ones first, instead of refusing the newcomer: a slowloris's trickled heads
// age out, and a client that sends its head promptly is served.
//
// The cap per client address counts only connections sending a head:
// behind a reverse proxy every connection has the proxy's address, and the
// proxy keeps many idle ones in its pool but sends each head at once.
//
// The gate learns a connection's phase from http.Server's ConnState hook:
// the server reports StateActive once it has read a whole request head, and
// StateIdle when a keep-alive connection waits for the next one.
type headGate struct {
	max      int // pending connections, at most
	maxPerIP int // connections of one client address sending a head; 0: no such cap
	log      *slog.Logger
	now      func() time.Time

	mu       sync.Mutex
	all      queue
	byIP     map[netip.Addr]*queue // heads only
	closed   int                   // connections the gate closed since the last log line
	loggedAt time.Time             // when the gate last said so
}

// logEvery is how often, at most, the gate logs that it closes connections.
const logEvery = time.Minute

func newHeadGate(maxPending, maxPerIP int, log *slog.Logger) *headGate {
	g := &headGate{max: maxPending, maxPerIP: maxPerIP, log: log, now: time.Now, byIP: map[netip.Addr]*queue{}}
	g.all.init()
	return g
}

// gatedConn is a connection the gate tracks.
type gatedConn struct {
	net.Conn
	gate    *headGate
	ip      netip.Addr
	pending bool         // waiting for a request head
	idle    bool         // between requests (evicted first)
	inAll   link         // its place in the gate's queue
	inIP    link         // and, while it sends a head, in its address's
	io      *sockio.Conn // nc's socket read and written raw; nil: none
}

// Read reads from the socket with a raw system call (package sockio).
func (c *gatedConn) Read(p []byte) (int, error) {
	if c.io == nil {
		return c.Conn.Read(p)
	}
	return c.io.Read(p)
}

// Write writes to the socket with a raw system call (package sockio).
func (c *gatedConn) Write(p []byte) (int, error) {
	if c.io == nil {
		return c.Conn.Write(p)
	}
	return c.io.Write(p)
}

// admit tracks a freshly accepted connection as waiting for its first head,
// closing the oldest pending connection if a cap is reached.
func (g *headGate) admit(nc net.Conn) *gatedConn {
	c := &gatedConn{Conn: nc, gate: g, ip: clientIP(nc), io: sockio.New(nc)}
	c.inAll.conn, c.inIP.conn = c, c
	g.enter(c, false)
	return c
}

func clientIP(nc net.Conn) netip.Addr {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{} // one bucket for every non-TCP client
}

// track is the http.Server ConnState hook.
func (g *headGate) track(nc net.Conn, s http.ConnState) {
	if h, ok := nc.(*handedConn); ok {
		nc = h.gated()
	}
	c, ok := nc.(*gatedConn)
	if !ok || c.gate != g {
		return
	}
	switch s {
	case http.StateIdle:
		g.enter(c, true)
	case http.StateActive, http.StateHijacked, http.StateClosed:
		g.leave(c)
	}
}

// enter makes c pending, first making room for it.
func (g *headGate) enter(c *gatedConn, idle bool) {
	g.mu.Lock()
	if c.pending {
		g.remove(c)
	}
	victim := g.makeRoom(c.ip, idle)
	c.pending, c.idle = true, idle
	g.all.push(&c.inAll, idle)
	if !idle {
		g.queueOf(c.ip).push(&c.inIP, false)
	}
	g.mu.Unlock()
	if victim != nil {
		victim.Conn.Close() // its server goroutine sees the error and ends
		g.noteClosed(1)
	}
}

// makeRoom removes and returns the connection to close so that one more
// from ip fits: for a head, that address's oldest head if it is at its cap;
// else the oldest of all if the gate is full. The caller holds g.mu.
func (g *headGate) makeRoom(ip netip.Addr, idle bool) *gatedConn {
	if q := g.byIP[ip]; !idle && g.maxPerIP > 0 && q != nil && q.n >= g.maxPerIP {
		return g.evict(q)
	}
	if g.all.n >= g.max {
		return g.evict(&g.all)
	}
	return nil
}

func (g *headGate) evict(q *queue) *gatedConn {
	c := q.oldest()
	if c != nil {
		g.remove(c)
	}
	return c
}

// leave stops counting c: its head is read, or it is gone.
func (g *headGate) leave(c *gatedConn) {
	g.mu.Lock()
	if c.pending {
		g.remove(c)
	}
	g.mu.Unlock()
}

// remove takes a pending c out of both its queues. The caller holds g.mu.
func (g *headGate) remove(c *gatedConn) {
	g.all.remove(&c.inAll, c.idle)
	if !c.idle {
		q := g.byIP[c.ip]
		q.remove(&c.inIP, false)
		if q.n == 0 {
			delete(g.byIP, c.ip)
		}
	}
	c.pending = false
}

func (g *headGate) queueOf(ip netip.Addr) *queue {
	q := g.byIP[ip]
	if q == nil {
		q = &queue{}
		q.init()
		g.byIP[ip] = q
	}
	return q
}

// shed closes up to n of the oldest pending connections, to free file
// descriptors, and returns how many it closed.
func (g *headGate) shed(n int) int {
	victims := make([]*gatedConn, 0, n)
	g.mu.Lock()
	for len(victims) < n {
		c := g.evict(&g.all)
		if c == nil {
			break
		}
		victims = append(victims, c)
	}
	g.mu.Unlock()
	for _, c := range victims {
		c.Conn.Close()
	}
	g.noteClosed(len(victims))
	return len(victims)
}

// pending returns how many connections wait for a head in all, and how
// many from ip are sending one.
func (g *headGate) pending(ip netip.Addr) (all, fromIP int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if q := g.byIP[ip]; q != nil {
		fromIP = q.n
	}
	return g.all.n, fromIP
}

// noteClosed counts closed connections and logs them at most once per
// logEvery, so that an attack does not flood the log.
func (g *headGate) noteClosed(n int) {
	if n == 0 {
		return
	}
	g.mu.Lock()
	g.closed += n
	now := g.now()
	if now.Sub(g.loggedAt) < logEvery {
		g.mu.Unlock()
		return
	}
	closed, pending := g.closed, g.all.n
	g.closed, g.loggedAt = 0, now
	g.mu.Unlock()
	g.log.Warn("closing the oldest connections that have not sent a request head",
		"closed", closed, "pending", pending, "maxPendingHeads", g.max, "maxPendingHeadsPerIP", g.maxPerIP)
}

// Close closes the connection and forgets it.
func (c *gatedConn) Close() error {
	c.gate.leave(c)
	return c.Conn.Close()
}

// NetConn returns the accepted connection, as tls.Conn does.
func (c *gatedConn) NetConn() net.Conn { return c.Conn }

// CloseWrite keeps net/http's graceful close (FIN, then drain) of a
// connection whose request body was too large.
func (c *gatedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil // as if the method were missing: net/http then just closes
}

// ReadFrom keeps sendfile and splice for responses copied from files.
func (c *gatedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// SyscallConn gives socket options (TCP_QUICKACK, …) to who needs them.
func (c *gatedConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}
