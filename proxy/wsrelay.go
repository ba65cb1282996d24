package proxy

import (
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/auth"
)

// closeGrace is how long a side may take to answer a close frame before its
// connection is closed anyway.
const closeGrace = 2 * time.Second

// wsConn is one relayed websocket: the client's connection and the
// server's, whose frames are copied as bytes. Two goroutines copy, one each
// way, reading only frame headers; the one that ends last leaves the
// registry. Nothing else runs per connection.
//
// The relay ends once each side is done with: it has failed, or it has both
// sent a close frame and been sent one (relayed, or the proxy's own).
type wsConn struct {
	p       *Proxy
	client  wsSide
	backend wsSide
	up      wsPipe      // client to server
	down    wsPipe      // server to client
	raw     net.Conn    // instead of client and backend: another upgraded protocol
	key     string      // "ns/server"
	kernel  *kernelName // of a kernel's websocket; nil for others
	ns      string
	id      auth.Identity

	mu        sync.Mutex // guards the sides' close state
	stopOnce  sync.Once
	closeOnce sync.Once
	stopped   atomic.Bool  // closing: no deadline is pushed back
	closed    atomic.Bool  // both connections are closed
	running   atomic.Int32 // copy loops still running
	renewed   renewal      // of the client's read deadline (up's goroutine)
}

// startRelay registers the connection and starts its two copy loops. They
// end when both sides have closed, either fails, or after stop.
func (p *Proxy) startRelay(client net.Conn, backend *backendConn, t target, id auth.Identity, watch wsWatch, kernel *kernelName) {
	key := strings.Clone(t.key)
	c := &wsConn{p: p, key: key, ns: key[:len(t.ns)], id: id, kernel: kernel}
	c.client.init(client, false)
	c.backend.init(backend.conn, true)
	c.up = wsPipe{c: c, fromClient: true, watch: watch}
	c.down = wsPipe{c: c}
	_ = client.SetReadDeadline(time.Now().Add(p.opts.PongWait))
	if err := p.conns.add(c); err != nil {
		toClient := goingAway
		if errors.Is(err, errRevoked) {
			toClient = websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "credential revoked")
		}
		c.stop(toClient, goingAway)
		c.closeBoth()
		return
	}
	c.running.Store(2)
	go c.up.run(nil)             // ends when the client side is done with or fails
	go c.down.run(backend.early) // ends when the server side is done with or fails
}

// clientAlive pushes back the client's read deadline after a data frame
// or a pong.
func (c *wsConn) clientAlive(now time.Time) {
	c.renewed.pushBack(c.client.conn, readDeadline, now, c.p.opts.PongWait, &c.stopped)
}

func (c *wsConn) loopDone() {
	if c.running.Add(-1) == 0 {
		c.closeBoth()
		c.p.conns.remove(c)
	}
}

func (c *wsConn) closeBoth() {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		_ = c.client.conn.Close()
		_ = c.backend.conn.Close()
	})
}

// note records a side's close state under mu, and closes both connections
// once both sides are done with.
func (c *wsConn) note(s *wsSide, set func(*wsSide)) {
	c.mu.Lock()
	set(s)
	done := sideDone(&c.client) && sideDone(&c.backend)
	c.mu.Unlock()
	if done {
		c.closeBoth()
	}
}

func sideDone(s *wsSide) bool { return s.dead || (s.gotClose && s.sentClose) }

func gotClose(s *wsSide)  { s.gotClose = true }
func sentClose(s *wsSide) { s.sentClose = true }
func failed(s *wsSide)    { s.dead = true }

// stop sends each side a close frame (nil: none), unless one has gone to
// it already, and gives both sides closeGrace to answer before their reads
// and writes fail. The first close frame for a side wins.
func (c *wsConn) stop(toClient, toBackend []byte) {
	if c.raw != nil { // no frames to send: ReverseProxy's copy ends
		c.stopOnce.Do(func() { c.stopped.Store(true); _ = c.raw.Close() })
		return
	}
	c.stopOnce.Do(func() {
		c.stopped.Store(true)
		deadline := time.Now().Add(closeGrace)
		for _, s := range []*wsSide{&c.client, &c.backend} {
			_ = s.conn.SetDeadline(deadline)
		}
	})
	for _, m := range []struct {
		s   *wsSide
		msg []byte
	}{{&c.client, toClient}, {&c.backend, toBackend}} {
		if m.msg == nil {
			continue
		}
		if sent, err := m.s.sendClose(m.msg); sent && err == nil {
			c.note(m.s, sentClose)
		}
	}
}

// ping sends the client a ping between two frames; a client that cannot
// take one is dropped.
func (c *wsConn) ping() {
	if c.raw != nil {
		return // the upgraded protocol has its own liveness
	}
	if !c.client.ping(c.p.opts.WriteTimeout, &c.stopped) && !c.stopped.Load() {
		c.stop(goingAway, goingAway)
	}
}

var (
	goingAway     = websocket.FormatCloseMessage(websocket.CloseGoingAway, "going away")
	clientGone    = websocket.FormatCloseMessage(websocket.CloseGoingAway, "client gone")
	serverLost    = websocket.FormatCloseMessage(websocket.CloseInternalServerErr, "server connection lost")
	tooBig        = websocket.FormatCloseMessage(websocket.CloseMessageTooBig, "message too big")
	protocolError = websocket.FormatCloseMessage(websocket.CloseProtocolError, "protocol error")
)
