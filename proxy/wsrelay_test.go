package proxy

import (
	"bufio"
	"net"
	"net/http"
	"testing"
	"time"
	"unsafe"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/store"
)

// TestWebsocketServerSpeaksFirst: a frame the server sends in the same
// packet as its handshake answer reaches the client.
func TestWebsocketServerSpeaksFirst(t *testing.T) {
	h := newHarness(t)
	h.route("lab", httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + acceptKey(r.Header.Get("Sec-Websocket-Key")) + "\r\n\r\n\x81\x05hello")
		_ = brw.Flush()
		_, _ = brw.ReadByte() // until the proxy closes
	})), store.Route{})
	c, _, err := h.dial("/notebook/alice/lab/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, m, err := c.ReadMessage(); err != nil || string(m) != "hello" {
		t.Errorf("first message = %q %v, want %q", m, err, "hello")
	}
}

// TestWebsocketServerPingAnswered: the server's pings reach the client and
// the client's pongs reach the server (Jupyter drops clients that answer
// none).
func TestWebsocketServerPingAnswered(t *testing.T) {
	h := newHarness(t)
	pongs := make(chan string, 1)
	up := websocket.Upgrader{}
	h.route("lab", httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetPongHandler(func(s string) error { pongs <- s; return nil })
		_ = c.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(5*time.Second))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})), store.Route{})
	c, _, err := h.dial("/notebook/alice/lab/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() { // answers pings while reading; ends when the connection closes
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	if got := <-pongs; got != "are you there" {
		t.Errorf("server got pong %q, want %q", got, "are you there")
	}
}

// TestWebsocketFramesInPieces: a client whose frames arrive a byte at a
// time is relayed as well as one whose frames arrive whole.
func TestWebsocketFramesInPieces(t *testing.T) {
	h := newHarness(t)
	h.route("lab", newWSBackend(t).Server, store.Route{})
	d := websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		c, err := net.Dial(network, addr)
		return &trickleConn{Conn: c}, err
	}}
	c, _, err := d.Dial("ws"+h.srv.URL[len("http"):]+"/notebook/alice/lab/ws", http.Header{"Authorization": {"Bearer alice-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, msg := range []string{"one", string(make([]byte, 300)), "three"} {
		echo(t, c, msg)
	}
}

// trickleConn writes a byte at a time once the handshake is written.
type trickleConn struct {
	net.Conn
	handshaken bool
}

func (c *trickleConn) Write(p []byte) (int, error) {
	if !c.handshaken {
		c.handshaken = true
		return c.Conn.Write(p)
	}
	w := bufio.NewWriterSize(c.Conn, 16)
	for i := range p {
		if err := w.WriteByte(p[i]); err != nil {
			return i, err
		}
		if err := w.Flush(); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

// TestWSConnSizeClass: a relayed websocket's state fits the allocator's
// 1024-byte class (the next is 1152): idle websockets are counted by
// the ten thousand.
func TestWSConnSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(wsConn{}); n > 1024 {
		t.Errorf("wsConn is %d bytes, more than 1024", n)
	}
}
