package proxy

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/test/poll"
)

const kernelProtocol = "v1.kernel.websocket.jupyter.org"

func TestWebsocketEcho(t *testing.T) {
	h := newHarness(t)
	b := newWSBackend(t)
	h.route("lab", b.Server, store.Route{Token: "server-token"})
	c, res, err := h.dial("/notebook/alice/lab/api/kernels/k1/channels?session_id=s",
		http.Header{"Authorization": {"Bearer alice-secret"}, "Cookie": {"spawnhub_session=x; _xsrf=y"}},
		"unknown", kernelProtocol)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, res)
	}
	if got := c.Subprotocol(); got != kernelProtocol {
		t.Errorf("subprotocol = %q, want %q", got, kernelProtocol)
	}
	seen := <-b.headers
	for _, hd := range []struct{ name, want string }{
		{"Authorization", "token server-token"},
		{"Cookie", "_xsrf=y"},
		{"Sec-Websocket-Protocol", "unknown, " + kernelProtocol},
		{"X-Forwarded-For", "127.0.0.1"},
	} {
		if got := seen.Get(hd.name); got != hd.want {
			t.Errorf("backend saw %s = %q, want %q", hd.name, got, hd.want)
		}
	}
	for _, m := range []struct {
		typ  int
		data string
	}{{websocket.TextMessage, `{"msg_type":"execute_request"}`}, {websocket.BinaryMessage, "\x00\x01\xff"}} {
		if err := c.WriteMessage(m.typ, []byte(m.data)); err != nil {
			t.Fatal(err)
		}
		typ, data, err := c.ReadMessage()
		if err != nil || typ != m.typ || string(data) != m.data {
			t.Errorf("echo of %d %q = %d %q %v, want the same", m.typ, m.data, typ, data, err)
		}
	}
}

func TestWebsocketLargeMessage(t *testing.T) {
	h := newHarness(t)
	h.route("lab", newWSBackend(t).Server, store.Route{})
	c, _, err := h.dial("/notebook/alice/lab/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 5<<20)
	for i := range big {
		big[i] = byte(i)
	}
	if err := c.WriteMessage(websocket.BinaryMessage, big); err != nil {
		t.Fatal(err)
	}
	_, got, err := c.ReadMessage()
	if err != nil || string(got) != string(big) {
		t.Errorf("echo of a 5 MiB message: %d bytes, err %v; want the same bytes", len(got), err)
	}
}

func TestWebsocketTooLarge(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxMessageSize = 1024 })
	b, c := h.openWS()
	_ = c.WriteMessage(websocket.BinaryMessage, make([]byte, 4096))
	_, _, err := c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("client read after a too large message: %v, want close 1009", err)
	}
	if ce := <-b.closes; ce.Code != websocket.CloseMessageTooBig {
		t.Errorf("backend got close %d, want 1009", ce.Code)
	}
}

func TestWebsocketClientCloseForwarded(t *testing.T) {
	h := newHarness(t)
	b, c := h.openWS()
	msg := websocket.FormatCloseMessage(4000, "done here")
	if err := c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if ce := <-b.closes; ce.Code != 4000 || ce.Text != "done here" {
		t.Errorf("backend got close %d %q, want 4000 %q", ce.Code, ce.Text, "done here")
	}
	h.p.conns.open.Wait() // the relay ends
}

func TestWebsocketServerCloseForwarded(t *testing.T) {
	h := newHarness(t)
	h.route("lab", newWSBackend(t).Server, store.Route{})
	c, _, err := h.dial("/notebook/alice/lab/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("close 4001")); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4001 || ce.Text != "bye" {
		t.Errorf("client read = %v, want close 4001 %q", err, "bye")
	}
}

func TestWebsocketOrigin(t *testing.T) {
	h := newHarness(t)
	h.route("lab", newWSBackend(t).Server, store.Route{})
	for _, tt := range []struct {
		origin string
		want   int
	}{
		{"http://evil.example", http.StatusForbidden},
		{h.srv.URL + "/path", http.StatusForbidden},
		{"https" + h.srv.URL[4:], http.StatusForbidden},
		{h.srv.URL, http.StatusSwitchingProtocols},
		{"", http.StatusSwitchingProtocols},
	} {
		hd := http.Header{"Authorization": {"Bearer alice-secret"}}
		if tt.origin != "" {
			hd.Set("Origin", tt.origin)
		}
		_, res, _ := h.dial("/notebook/alice/lab/ws", hd)
		if res == nil || res.StatusCode != tt.want {
			t.Errorf("Origin %q: response %v, want %d", tt.origin, res, tt.want)
		}
	}
}

func TestWebsocketPublicOrigin(t *testing.T) {
	public, _ := url.Parse("https://hub.example.org:443")
	h := newHarness(t, func(o *Options) { o.PublicURL = public })
	b := newWSBackend(t)
	h.route("lab", b.Server, store.Route{})
	for origin, want := range map[string]int{
		"https://hub.example.org": http.StatusSwitchingProtocols,
		"https://HUB.example.org": http.StatusSwitchingProtocols,
		h.srv.URL:                 http.StatusForbidden,
		"http://hub.example.org":  http.StatusForbidden,
	} {
		hd := http.Header{"Authorization": {"Bearer alice-secret"}, "Origin": {origin}}
		_, res, _ := h.dial("/notebook/alice/lab/ws", hd)
		if res == nil || res.StatusCode != want {
			t.Errorf("Origin %q: response %v, want %d", origin, res, want)
		}
	}
	if got := (<-b.headers).Get("Origin"); got != b.URL {
		t.Errorf("backend saw Origin %q, want its own %q", got, b.URL)
	}
}

func TestWebsocketRefused(t *testing.T) {
	h := newHarness(t)
	h.route("lab", newWSBackend(t).Server, store.Route{})
	for _, tt := range []struct {
		name   string
		header http.Header
		want   int
	}{
		{"anonymous", http.Header{}, http.StatusUnauthorized},
		{"other user", http.Header{"Authorization": {"Bearer bob-secret"}}, http.StatusNotFound},
	} {
		_, res, err := h.dial("/notebook/alice/lab/ws", tt.header)
		if err == nil || res == nil || res.StatusCode != tt.want {
			t.Errorf("%s: response %v, err %v; want %d", tt.name, res, err, tt.want)
		}
	}
}

func TestWebsocketActivity(t *testing.T) {
	h := newHarness(t)
	h.route("lab", newWSBackend(t).Server, store.Route{})
	c, _, err := h.dial("/notebook/alice/lab/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	pongs := make(chan struct{}, 1)
	c.SetPongHandler(func(string) error { pongs <- struct{}{}; return nil })
	msgs := make(chan string)
	go func() { // ends when the connection closes
		for {
			_, m, err := c.ReadMessage()
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(m)
		}
	}()
	_ = h.p.activity.take()
	if err := c.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	<-pongs // the proxy has read the ping
	if got := h.p.activity.take(); len(got) != 0 {
		t.Errorf("activity after a ping = %v, want none", got)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	<-msgs
	if _, ok := h.p.activity.take()[store.Key{Namespace: "alice", Name: "lab"}]; !ok {
		t.Errorf("activity after a message: none, want alice/lab")
	}
}

func TestWebsocketPing(t *testing.T) {
	h := newHarness(t)
	h.route("lab", newWSBackend(t).Server, store.Route{})
	c, _, err := h.dial("/notebook/alice/lab/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadMessage(); err != nil { // the relay runs
		t.Fatal(err)
	}
	pinged := make(chan struct{}, 1)
	c.SetPingHandler(func(string) error { pinged <- struct{}{}; return nil })
	go func() { // ends when the connection closes
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	// A tick while the relay still holds the client's write side (it just
	// wrote the echo) skips the ping until the next one: tick until pinged.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		h.pingTick <- time.Now()
		select {
		case <-pinged:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatal("no ping reached the client in 30 s of ticks")
}

func TestWebsocketDeadClientDropped(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.PongWait = 100 * time.Millisecond })
	b := newWSBackend(t)
	h.route("lab", b.Server, store.Route{})
	if _, _, err := h.dial("/notebook/alice/lab/ws", nil); err != nil {
		t.Fatal(err)
	}
	// The client never reads, so it answers no ping and sends nothing.
	if ce := <-b.closes; ce.Code != websocket.CloseGoingAway {
		t.Errorf("backend got close %d, want 1001 when the client stopped answering", ce.Code)
	}
}

func TestRecheck(t *testing.T) {
	h := newHarness(t)
	b, c := h.openWS()
	h.p.Recheck("alice") // still allowed
	echo(t, c, "still here")
	h.access.set("alice", "alice", false)
	h.p.Recheck("alice")
	_, _, err := c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Errorf("client read after access withdrawn = %v, want close 1008", err)
	}
	if ce := <-b.closes; ce.Code != websocket.CloseGoingAway {
		t.Errorf("backend got close %d, want 1001", ce.Code)
	}
}

// TestRevokedCredentialClosesWebsockets: revoking a session (logout) or
// an API token closes the websockets opened with it, and only those.
func TestRevokedCredentialClosesWebsockets(t *testing.T) {
	for _, tt := range []struct{ name, secret, topic, other, revoked, reason string }{
		{"session", "alice-secret", store.TopicSessions, "another-session", "alice-session", "session revoked"},
		{"token", "alice-token", store.TopicTokens, "another-hash", "alice-token-hash", "token revoked"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.route("lab", newWSBackend(t).Server, store.Route{})
			c, _, err := h.dial("/notebook/alice/lab/ws", http.Header{"Authorization": {"Bearer " + tt.secret}})
			if err != nil {
				t.Fatal(err)
			}
			echo(t, c, "hi") // the relay runs
			h.pubsub.publish(t, tt.topic, tt.other)
			echo(t, c, "still here")
			h.pubsub.publish(t, tt.topic, tt.revoked)
			_, _, err = c.ReadMessage()
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation || ce.Text != tt.reason {
				t.Errorf("client read after its %s was revoked = %v, want close 1008 %q", tt.name, err, tt.reason)
			}
		})
	}
}

// TestRevokedWhileOpening: a websocket authenticated just before its
// credential was revoked, and registered just after (the revocation
// arrived while the backend was being dialled), is closed too.
func TestRevokedWhileOpening(t *testing.T) {
	h := newHarness(t)
	h.route("lab", newWSBackend(t).Server, store.Route{})
	h.pubsub.publish(t, store.TopicTokens, "alice-token-hash") // the authenticator has not heard yet
	poll.Until(t, 10*time.Second, "the revocation", func() bool {
		h.p.conns.mu.Lock()
		defer h.p.conns.mu.Unlock()
		return h.p.conns.wasRevoked("alice-token-hash")
	})
	c, _, err := h.dial("/notebook/alice/lab/ws", http.Header{"Authorization": {"Bearer alice-token"}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
		t.Errorf("websocket opened with a credential revoked meanwhile: read = %v, want close 1008", err)
	}
	if c2, _, err := h.dial("/notebook/alice/lab/ws", http.Header{"Authorization": {"Bearer alice-secret"}}); err != nil {
		t.Fatal(err)
	} else {
		echo(t, c2, "others unaffected")
	}
}

// TestResyncChecksOpenWebsockets: after a resubscription (revocations may
// have been lost meanwhile), every open websocket's credential is checked
// again; one whose token is gone is closed, the others stay.
func TestResyncChecksOpenWebsockets(t *testing.T) {
	h := newHarness(t)
	h.route("lab", newWSBackend(t).Server, store.Route{})
	withToken, _, err := h.dial("/notebook/alice/lab/ws", http.Header{"Authorization": {"Bearer alice-token"}})
	if err != nil {
		t.Fatal(err)
	}
	withSession, _, err := h.dial("/notebook/alice/lab/ws", http.Header{"Authorization": {"Bearer alice-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "both relays registered", func() bool { return h.p.conns.count() == 2 })
	h.p.opts.Auth.(*fakeAuth).drop("alice-token") // revoked while the subscription was down
	h.pubsub.publish(t, store.TopicTokens, "")
	_ = withToken.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err = withToken.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
		t.Errorf("websocket of a token deleted during a resync: read = %v, want close 1008", err)
	}
	echo(t, withSession, "still valid")
}

// echo sends msg and expects it back.
func echo(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	if _, m, err := c.ReadMessage(); err != nil || string(m) != msg {
		t.Fatalf("echo = %q %v, want %q", m, err, msg)
	}
}

func TestCloseWebsockets(t *testing.T) {
	h := newHarness(t)
	b, c := h.openWS()
	got := make(chan error, 1)
	go func() { _, _, err := c.ReadMessage(); got <- err }()
	h.p.CloseWebsockets()
	if n := h.p.conns.count(); n != 0 {
		t.Errorf("open websockets after CloseWebsockets = %d, want 0", n)
	}
	if err := <-got; !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("client read = %v, want close 1001", err)
	}
	if ce := <-b.closes; ce.Code != websocket.CloseGoingAway {
		t.Errorf("backend got close %d, want 1001", ce.Code)
	}
	if _, res, _ := h.dial("/notebook/alice/lab/ws", nil); res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("upgrade after CloseWebsockets: %v, want 503", res)
	}
}

func TestWebsocketStripPrefix(t *testing.T) {
	h := newHarness(t)
	paths := make(chan string, 1)
	up := websocket.Upgrader{}
	backend := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths <- r.URL.RequestURI()
		if c, err := up.Upgrade(w, r, nil); err == nil {
			c.Close()
		}
	}))
	h.route("desk", backend, store.Route{StripPrefix: true})
	if _, _, err := h.dial("/notebook/alice/desk/websockify?token=1", nil); err != nil {
		t.Fatal(err)
	}
	if got := <-paths; got != "/websockify?token=1" {
		t.Errorf("backend saw %q, want %q", got, "/websockify?token=1")
	}
}
