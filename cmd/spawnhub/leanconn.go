package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/spawnhub/spawnhub/proxy"
	"github.com/spawnhub/spawnhub/proxy/headscan"
)

// A leanConn serves one connection's requests on the lean path for as long
// as they are the simple kind (leanhead.go) and the fast handler takes
// them; the first one that is not goes, with every byte read after the
// last served request, to net/http's server, which keeps the connection.
// It keeps the regular server's limits: the head gate learns when the
// connection waits for a head and when it has one, a head must arrive
// within readHeaderTimeout once it has begun, an idle connection is closed
// after idleTimeout.
type leanConn struct {
	l    *leanListener
	gc   *gatedConn
	buf  []byte // read, not yet consumed: the next heads
	head leanHead
	base *http.Request // context and address of every request
	req  http.Request
	lw   *leanWriter

	deadline time.Time     // the connection's read deadline
	cancel   func()        // ends the requests' context: the client is gone
	watched  chan struct{} // while a stream is relayed: closed when its watch ends
	closing  atomic.Bool   // the server shuts down
}

// leanBufSize is the largest head the lean path reads; a longer one goes
// to net/http's server, which allows far more.
const leanBufSize = 4 << 10

func (l *leanListener) newLeanConn(gc *gatedConn) *leanConn {
	c := &leanConn{l: l, gc: gc, buf: make([]byte, 0, leanBufSize)}
	c.head.header = make(http.Header) // grows to the connection's heads, once
	ctx := context.WithValue(context.Background(), http.ServerContextKey, l.srv)
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, gc.LocalAddr())
	cc := proxy.NewConnContext(ctx) // the lean client watches it cheaply
	c.cancel = cc.End
	c.base = (&http.Request{RemoteAddr: gc.RemoteAddr().String()}).WithContext(cc)
	c.lw = newLeanWriter(gc, func() bool { return !c.closing.Load() })
	c.lw.onFlush = c.watchClient
	return c
}

// serve runs until the connection is closed or handed over.
func (c *leanConn) serve() {
	defer c.cancel()
	for first := true; ; first = false {
		n, ok := c.readHead(first)
		if !ok {
			return
		}
		if n == 0 {
			c.handOver()
			return
		}
		served, keep := c.serveOne(n)
		if !served {
			c.handOver()
			return
		}
		c.buf = c.buf[:copy(c.buf, c.buf[n:])]
		if !keep {
			_ = c.gc.Close()
			return
		}
		c.gc.gate.enter(c.gc, true) // idle until the next head is in
	}
}

// readHead reads until c.buf holds a whole head of the lean subset, and
// returns its length; 0 when what was read is not for the lean path. It
// reports false when the connection failed or timed out (it is closed).
func (c *leanConn) readHead(first bool) (int, bool) {
	started, armedHead := first || len(c.buf) > 0, false
	for reads := 0; ; reads++ {
		n, scan := scanHead(c.buf)
		switch {
		case scan == headscan.Done:
			return n, true
		case scan == headscan.Other || len(c.buf) == cap(c.buf):
			return 0, true
		}
		if reads == 0 || (started && !armedHead) {
			c.armDeadline(started)
			armedHead = started
		}
		if c.closing.Load() && len(c.buf) == 0 {
			_ = c.gc.Close()
			return 0, false
		}
		m, err := c.gc.Read(c.buf[len(c.buf):cap(c.buf)])
		c.buf = c.buf[:len(c.buf)+m]
		if err != nil {
			if len(c.buf) > 0 && !isTimeout(err) {
				return 0, true // net/http answers what there is
			}
			_ = c.gc.Close() // as net/http does, without an answer
			return 0, false
		}
		started = started || m > 0
	}
}

// armDeadline bounds the wait for a head: readHeaderTimeout from now once
// one has begun, else idleTimeout. An idle deadline is moved only when it
// is more than 1/64 of idleTimeout too early, which spares a system call
// per request on a busy connection; an idle connection may so be closed
// that much sooner.
func (c *leanConn) armDeadline(inHead bool) {
	t, now := c.l.timeouts, time.Now()
	switch {
	case inHead:
		c.deadline = now.Add(t.head)
	case c.deadline.Sub(now) < t.idle-t.idle/64:
		c.deadline = now.Add(t.idle)
	default:
		return
	}
	_ = c.gc.SetReadDeadline(c.deadline)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// serveOne serves the head in c.buf[:n] unless it is not for the lean
// path (served false, nothing written), and reports whether the
// connection may go on.
func (c *leanConn) serveOne(n int) (served, keep bool) {
	if !c.head.parse(string(c.buf[:n])) || !c.head.request(&c.req, c.base) {
		return false, false
	}
	c.gc.gate.leave(c.gc) // a head is in: net/http's StateActive
	c.lw.reset(c.req.Method)
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				c.l.log.Error("http: panic serving", "remote", c.base.RemoteAddr, "panic", v, "stack", string(debug.Stack()))
			}
			c.stopWatching()
			c.lw.dropHeldHead()
			_ = c.lw.bw.Flush() // what reached the connection's buffer goes, as with net/http
			_ = c.gc.Close()
			served, keep = true, false
		}
	}()
	if !c.l.fast(c.lw, &c.req) {
		if c.lw.touched() {
			panic("fast handler declined a request it answered")
		}
		return false, false
	}
	keep = c.lw.finish()
	c.stopWatching()
	return true, keep
}

// watchClient reads from the connection while a stream (a response the
// handler flushes) is relayed, as net/http's background read does, so
// that a client that goes away ends the stream's relay (the requests'
// context ends). Other responses are not watched: a client gone during
// one is noticed when it is written.
func (c *leanConn) watchClient() {
	if c.watched != nil {
		return
	}
	c.watched = make(chan struct{})
	_ = c.gc.SetReadDeadline(time.Time{}) // a stream lasts
	go func() {                           // ends at the client's next bytes, its going away, or stopWatching
		m, err := c.gc.Read(c.buf[len(c.buf):cap(c.buf)])
		c.buf = c.buf[:len(c.buf)+m]
		if err != nil && !isTimeout(err) {
			c.cancel() // as net/http does; what is buffered is still served
		}
		close(c.watched)
	}()
}

// stopWatching ends a watch; c.buf is the loop's again.
func (c *leanConn) stopWatching() {
	if c.watched == nil {
		return
	}
	_ = c.gc.SetReadDeadline(time.Unix(1, 0)) // wakes the watch's read
	<-c.watched
	c.watched, c.deadline = nil, time.Time{}
}

// handOver gives the connection, with what was read of it, to net/http.
func (c *leanConn) handOver() {
	_ = c.gc.SetReadDeadline(time.Time{}) // net/http sets its own
	var replay []byte
	if len(c.buf) > 0 {
		replay = c.buf
	}
	c.l.handOver(&handedConn{gatedConn: c.gc, replay: replay})
}

// handedConn is a connection net/http's server takes over from the lean
// path: its reads return first the bytes the lean path read.
type handedConn struct {
	*gatedConn
	replay []byte
}

func (h *handedConn) Read(p []byte) (int, error) {
	if h.replay != nil {
		n := copy(p, h.replay)
		if h.replay = h.replay[n:]; len(h.replay) == 0 {
			h.replay = nil // the lean path's buffer is not kept (idle websockets)
		}
		return n, nil
	}
	return h.gatedConn.Read(p)
}

// gated is the connection the head gate tracks.
func (h *handedConn) gated() *gatedConn { return h.gatedConn }
