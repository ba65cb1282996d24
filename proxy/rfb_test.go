package proxy

import (
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/store"
)

// rfbServer is a scripted VNC server behind websockify: it answers the
// RFB 3.8 handshake (security None) and reports how many bytes of the
// client's stream it has received, so that the test knows the relay has
// passed them (activity is marked before bytes are forwarded).
func rfbServer(t *testing.T) (*httptest.Server, <-chan int) {
	got := make(chan int, 64)
	up := websocket.Upgrader{Subprotocols: []string{"binary"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		send := func(b []byte) { _ = c.WriteMessage(websocket.BinaryMessage, b) }
		send([]byte("RFB 003.008\n"))
		n := 0
		for {
			_, m, err := c.ReadMessage()
			if err != nil {
				return
			}
			before := n
			n += len(m)
			for _, step := range []struct {
				at    int
				reply []byte
			}{{12, []byte{1, 1}}, {13, []byte{0, 0, 0, 0}}, {14, serverInit()}} {
				if before < step.at && n >= step.at {
					send(step.reply)
				}
			}
			got <- n
		}
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// serverInit is a 1024×768 framebuffer named "test".
func serverInit() []byte {
	b := binary.BigEndian.AppendUint16(nil, 1024)
	b = binary.BigEndian.AppendUint16(b, 768)
	b = append(b, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0) // pixel format
	b = binary.BigEndian.AppendUint32(b, 4)
	return append(b, "test"...)
}

// TestDesktopActivityScriptedRFB: a scripted viewer and server speak RFB
// through the real relay, the viewer's stream cut at odd places; only the
// pointer and key events are activity.
func TestDesktopActivityScriptedRFB(t *testing.T) {
	h := newHarness(t)
	backend, got := rfbServer(t)
	h.route("lab", backend, store.Route{Kind: "desktop"})
	c, _, err := h.dial("/notebook/alice/lab/websockify", nil, "binary")
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	send := func(parts ...[]byte) string {
		for _, p := range parts {
			if err := c.WriteMessage(websocket.BinaryMessage, p); err != nil {
				t.Fatal(err)
			}
			sent += len(p)
		}
		for n := 0; n < sent; n = <-got {
		}
		return h.p.activity.take()[labKey].Source
	}
	if _, v, err := c.ReadMessage(); err != nil || string(v) != "RFB 003.008\n" {
		t.Fatalf("server version through the relay = %q, %v", v, err)
	}
	_ = h.p.activity.take()
	start := rfbClientStart()
	if src := send(start[:5], start[5:13], start[13:]); src != "" {
		t.Errorf("activity of the handshake, SetEncodings and a FramebufferUpdateRequest = %q, want none", src)
	}
	for range 20 {
		if src := send(fbUpdateRequest()); src != "" {
			t.Fatalf("activity of a FramebufferUpdateRequest = %q, want none", src)
		}
	}
	pointer := []byte{5, 1, 0x01, 0x10, 0x00, 0x20}
	if src := send(append(fbUpdateRequest(), pointer[0]), pointer[1:]); src != store.SourceMouse {
		t.Errorf("activity of a pointer event cut after its type = %q, want %q", src, store.SourceMouse)
	}
	if src := send([]byte{4, 1, 0, 0}, []byte{0, 0, 0, 0x61}); src != store.SourceKeyboard {
		t.Errorf("activity of a key event = %q, want %q", src, store.SourceKeyboard)
	}
}
