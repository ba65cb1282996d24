package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/store"
)

// harness is a Proxy behind an httptest server, with fakes around it and
// Run running. alice (secret "alice-secret") may use namespace "alice";
// bob ("bob-secret") may use "bob".
type harness struct {
	t        testing.TB
	p        *Proxy
	srv      *httptest.Server
	access   *fakeAccess
	routes   *fakeRoutes
	activity *fakeActivity
	pubsub   *fakePubSub
	pingTick chan time.Time
}

func newHarness(t testing.TB, configure ...func(*Options)) *harness {
	t.Helper()
	h := &harness{
		t:        t,
		access:   &fakeAccess{granted: map[string]bool{"alice alice": true, "bob bob": true}},
		routes:   &fakeRoutes{routes: make(map[store.Key]store.Route)},
		activity: &fakeActivity{marks: make(map[store.Key]time.Time)},
		pubsub:   newFakePubSub(),
		pingTick: make(chan time.Time),
	}
	opts := Options{
		Auth: &fakeAuth{users: map[string]auth.Identity{
			"alice-secret": {UserID: "alice", Namespace: "alice", SessionID: "alice-session"},
			"alice-token":  {UserID: "alice", Namespace: "alice", TokenID: "tok", TokenHash: "alice-token-hash"},
			"bob-secret":   {UserID: "bob", Namespace: "bob"},
		}},
		Access:       h.access,
		Routes:       h.routes,
		Activity:     h.activity,
		PubSub:       h.pubsub,
		ActivityTick: make(chan time.Time), // flushed by hand
		PingTick:     h.pingTick,
		PongWait:     time.Hour,
	}
	for _, c := range configure {
		c(&opts)
	}
	h.p = New(opts)
	h.srv = httptest.NewServer(h.p)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.p.Run(ctx) }()
	relayed := h.relayRevocations(ctx)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
		relayed.Wait()
		h.p.CloseWebsockets()
		h.srv.Close()
	})
	for range 3 { // routes (Run), sessions and tokens (relayRevocations)
		<-h.pubsub.subscribed
	}
	h.pubsub.publish(t, store.TopicRoutes, "noop/noop") // the cache is on
	return h
}

// relayRevocations delivers the revocations published on the fake pub/sub
// to Revoked until ctx is done, as auth.Authenticator.OnRevoke does.
func (h *harness) relayRevocations(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Go(func() {
		store.Follow(ctx, h.pubsub, store.TopicSessions, func(id string) { h.p.Revoked(id, "") }, store.FollowOptions{})
	})
	wg.Go(func() {
		store.Follow(ctx, h.pubsub, store.TopicTokens, func(hash string) { h.p.Revoked("", hash) }, store.FollowOptions{})
	})
	return &wg
}

// get sends a request through the proxy as the user with that secret ("":
// anonymous).
func (h *harness) get(path, secret string, header ...string) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	h.t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// dial opens a websocket through the proxy as alice.
func (h *harness) dial(path string, header http.Header, protocols ...string) (*websocket.Conn, *http.Response, error) {
	h.t.Helper()
	if header == nil {
		header = http.Header{"Authorization": {"Bearer alice-secret"}}
	}
	d := websocket.Dialer{Subprotocols: protocols}
	c, res, err := d.Dial("ws"+strings.TrimPrefix(h.srv.URL, "http")+path, header)
	if err == nil {
		h.t.Cleanup(func() { _ = c.Close() })
	}
	return c, res, err
}

// openWS routes alice's "lab" to a websocket echo backend and opens a
// websocket to it through the proxy as alice.
func (h *harness) openWS() (*wsBackend, *websocket.Conn) {
	h.t.Helper()
	b := newWSBackend(h.t)
	h.route("lab", b.Server, store.Route{})
	c, _, err := h.dial("/notebook/alice/lab/ws", nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return b, c
}

// echoed is what the HTTP backend saw.
type echoed struct {
	Method     string
	Path       string
	RequestURI string
	Host       string
	Header     http.Header
}

// httpBackend answers every request with what it saw, as JSON.
func httpBackend(t testing.TB) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echoed{r.Method, r.URL.Path, r.RequestURI, r.Host, r.Header})
	}))
	t.Cleanup(s.Close)
	return s
}

func decode[T any](t *testing.T, res *http.Response) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
	return v
}

// wsBackend is a websocket echo server choosing the subprotocols it knows.
// A text message "close <code>" makes it close with that code and "bye".
// It reports the close frames it receives.
type wsBackend struct {
	*httptest.Server
	closes  chan *websocket.CloseError
	headers chan http.Header
}

func newWSBackend(t testing.TB) *wsBackend {
	b := &wsBackend{closes: make(chan *websocket.CloseError, 16), headers: make(chan http.Header, 16)}
	up := websocket.Upgrader{Subprotocols: []string{"v1.kernel.websocket.jupyter.org", "binary"}}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.headers <- r.Header.Clone()
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		b.echo(c)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *wsBackend) echo(c *websocket.Conn) {
	for {
		mt, msg, err := c.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				b.closes <- ce
			}
			return
		}
		var code int
		if n, _ := fmt.Sscanf(string(msg), "close %d", &code); n == 1 {
			_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, "bye"), time.Now().Add(time.Second))
			continue
		}
		if err := c.WriteMessage(mt, msg); err != nil {
			return
		}
	}
}

// route points alice's server name at the backend.
func (h *harness) route(name string, backend *httptest.Server, r store.Route) {
	r.Target = backend.URL
	h.routes.set("alice", name, r)
}

func httpServer(t testing.TB, h http.Handler) *httptest.Server {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}
