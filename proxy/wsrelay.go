package proxy

import (
	"errors"
	"io"
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
// server's. Two goroutines copy messages, one each way; the one that ends
// last closes both connections. Nothing else runs per connection.
type wsConn struct {
	p       *Proxy
	client  *websocket.Conn
	backend *websocket.Conn
	raw     net.Conn // instead of client and backend: another upgraded protocol
	key     string   // "ns/server"
	ns      string
	id      auth.Identity

	stopOnce sync.Once
	stopped  atomic.Bool
	running  atomic.Int32 // copy loops still running
}

// startRelay registers the connection and starts its two copy loops. They
// end when either side closes or fails, or stop is called.
func (p *Proxy) startRelay(client, backend *websocket.Conn, t target, id auth.Identity) {
	key := strings.Clone(t.key)
	c := &wsConn{p: p, client: client, backend: backend, key: key, ns: key[:len(t.ns)], id: id}
	max := p.opts.MaxMessageSize
	client.SetReadLimit(max)
	backend.SetReadLimit(max)
	_ = client.SetReadDeadline(time.Now().Add(p.opts.PongWait))
	client.SetPongHandler(c.onPong)
	if err := p.conns.add(c); err != nil {
		toClient := goingAway
		if errors.Is(err, errRevoked) {
			toClient = websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "credential revoked")
		}
		c.stop(toClient, goingAway)
		_ = client.Close()
		_ = backend.Close()
		return
	}
	c.running.Store(2)
	go c.copyLoop(c.client, c.backend, true)  // ends when the client side closes or fails
	go c.copyLoop(c.backend, c.client, false) // ends when the server side closes or fails
}

// copyLoop relays messages from src to dst until the first error, then
// stops the relay. The last loop to end closes both connections.
func (c *wsConn) copyLoop(src, dst *websocket.Conn, fromClient bool) {
	defer c.loopDone()
	for {
		mt, r, err := src.NextReader()
		if err != nil {
			c.stop(closeMessages(err, fromClient))
			return
		}
		if fromClient {
			c.userActed()
		}
		if err := c.forward(dst, mt, r); err != nil {
			c.stop(closeMessages(err, !fromClient))
			return
		}
	}
}

// forward streams one message; the message writer reads straight into its
// pooled buffer, so no copy buffer is needed.
func (c *wsConn) forward(dst *websocket.Conn, mt int, r io.Reader) error {
	_ = dst.SetWriteDeadline(time.Now().Add(c.p.opts.WriteTimeout))
	w, err := dst.NextWriter(mt)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		_ = w.Close()
		return err
	}
	return w.Close()
}

// userActed records activity for a client data message and pushes back the
// client's read deadline.
func (c *wsConn) userActed() {
	now := time.Now()
	c.p.activity.mark(c.key, now)
	if !c.stopped.Load() {
		_ = c.client.SetReadDeadline(now.Add(c.p.opts.PongWait))
	}
}

func (c *wsConn) onPong(string) error {
	if !c.stopped.Load() {
		_ = c.client.SetReadDeadline(time.Now().Add(c.p.opts.PongWait))
	}
	return nil
}

func (c *wsConn) loopDone() {
	if c.running.Add(-1) == 0 {
		_ = c.client.Close()
		_ = c.backend.Close()
		c.p.conns.remove(c)
	}
}

// stop sends close frames (nil: none) to each side, once, and gives both
// sides closeGrace to answer before their reads fail.
func (c *wsConn) stop(toClient, toBackend []byte) {
	c.stopOnce.Do(func() {
		c.stopped.Store(true)
		if c.raw != nil { // no frames to send: ReverseProxy's copy ends
			_ = c.raw.Close()
			return
		}
		now := time.Now()
		deadline := now.Add(min(c.p.opts.WriteTimeout, closeGrace))
		if toClient != nil {
			_ = c.client.WriteControl(websocket.CloseMessage, toClient, deadline)
		}
		if toBackend != nil {
			_ = c.backend.WriteControl(websocket.CloseMessage, toBackend, deadline)
		}
		for _, ws := range []*websocket.Conn{c.client, c.backend} {
			_ = ws.SetReadDeadline(now.Add(closeGrace))
			_ = ws.NetConn().SetWriteDeadline(now.Add(closeGrace))
		}
	})
}

// ping sends the client a ping; a client that cannot take one is dropped.
func (c *wsConn) ping() {
	if c.raw != nil {
		return // the upgraded protocol has its own liveness
	}
	err := c.client.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.p.opts.WriteTimeout))
	if err != nil && !c.stopped.Load() {
		c.stop(goingAway, goingAway)
	}
}

var (
	goingAway  = websocket.FormatCloseMessage(websocket.CloseGoingAway, "going away")
	clientGone = websocket.FormatCloseMessage(websocket.CloseGoingAway, "client gone")
	serverLost = websocket.FormatCloseMessage(websocket.CloseInternalServerErr, "server connection lost")
	tooBig     = websocket.FormatCloseMessage(websocket.CloseMessageTooBig, "message too big")
)

// closeMessages decides the close frame for the other side after err ended
// reading one side (the client's when fromClient). A close frame is
// forwarded with its code and reason (the reader has answered it already);
// other failures become "going away" (the client failed) or "internal
// error" (the server failed).
func closeMessages(err error, fromClient bool) (toClient, toBackend []byte) {
	msg := closeFrameFor(err, fromClient)
	if fromClient {
		return nil, msg
	}
	return msg, nil
}

func closeFrameFor(err error, fromClient bool) []byte {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure && ce.Code != websocket.CloseTLSHandshake:
		return websocket.FormatCloseMessage(ce.Code, ce.Text)
	case errors.Is(err, websocket.ErrReadLimit):
		return tooBig // the reader has told its side already
	case fromClient:
		return clientGone
	default:
		return serverLost
	}
}
