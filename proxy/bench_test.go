package proxy

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// Compare BenchmarkX Proxy and Direct from the same run: the machine is
// shared, so only ratios mean anything.

// allowOwner lets users into their own namespace, without allocating (as
// a caching policy would).
type allowOwner struct{}

func (allowOwner) CanConnect(_ context.Context, id auth.Identity, ns string) bool {
	return id.Namespace == ns
}

func benchHarness(b *testing.B) *harness {
	return newHarness(b, func(o *Options) { o.Access = allowOwner{} })
}

func smallBackend(b *testing.B) *httptest.Server {
	return httpServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "13")
		_, _ = io.WriteString(w, "hello, world\n")
	}))
}

var bearerAlice = http.Header{"Authorization": {"Bearer alice-secret"}}

func BenchmarkDirect(b *testing.B) {
	benchGET(b, smallBackend(b).URL+"/notebook/alice/lab/api/status", "", bearerAlice)
}

func BenchmarkProxy(b *testing.B) {
	h := benchHarness(b)
	h.route("lab", smallBackend(b), store.Route{Token: "server-token"})
	benchGET(b, h.srv.URL+"/notebook/alice/lab/api/status", "", bearerAlice)
}

// BenchmarkProxyWorkspaceOrigin is BenchmarkProxy as browsers use it:
// through the front door (host check, strict same-origin check), on the
// namespace's workspace origin, with that origin's session cookie verified
// by the real authenticator (cached).
func BenchmarkProxyWorkspaceOrigin(b *testing.B) {
	f, cookie := benchFrontDoor(b)
	f.route("lab", smallBackend(b), store.Route{Token: "server-token"})
	benchGET(b, f.door.URL+"/notebook/alice/lab/api/status", "alice.ws.test", http.Header{"Cookie": {cookie}})
}

// benchFrontDoor is newFrontDoor with the real authenticator and a
// workspace session of alice's for her origin.
func benchFrontDoor(b *testing.B) (*frontDoor, string) {
	st := memory.New()
	signer, err := auth.NewSigner([]auth.Key{{ID: "k", Secret: []byte(strings.Repeat("k", 32))}}, time.Hour, nil)
	if err != nil {
		b.Fatal(err)
	}
	authn := auth.NewAuthenticator(signer, st, auth.NewPolicy(nil, nil, st), auth.Cookies{}, slog.New(slog.DiscardHandler))
	token, _, _, err := signer.Issue(auth.Identity{UserID: "alice", Namespace: "alice", Audience: "alice.ws.test"})
	if err != nil {
		b.Fatal(err)
	}
	f := newFrontDoor(b, func(o *Options) { o.Auth, o.Access = authn, allowOwner{} })
	return f, "_xsrf=abc; spawnhub_workspace=" + token
}

// benchGET sends small GETs in parallel over keep-alive connections, with
// host as Host when set, and reports, besides ns/op, the CPU time of the
// whole process per request (client, proxy and server together: subtract
// Direct's from Proxy's).
func benchGET(b *testing.B, url, host string, header http.Header) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, DisableCompression: true}}
	b.Cleanup(client.CloseIdleConnections)
	b.ReportAllocs()
	b.SetParallelism(4)
	cpu := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header = header.Clone()
		if host != "" {
			req.Host = host
		}
		for pb.Next() {
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("status %d, want 200", res.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the user and system CPU time of the process, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkWebsocketRoundTripDirect(b *testing.B) {
	backend := newWSBackend(b)
	benchRoundTrip(b, "ws"+strings.TrimPrefix(backend.URL, "http")+"/notebook/alice/lab/ws")
}

func BenchmarkWebsocketRoundTripProxy(b *testing.B) {
	h := benchHarness(b)
	h.route("lab", newWSBackend(b).Server, store.Route{})
	benchRoundTrip(b, "ws"+strings.TrimPrefix(h.srv.URL, "http")+"/notebook/alice/lab/ws")
}

// benchRoundTrip sends a small message and waits for its echo.
func benchRoundTrip(b *testing.B, url string) {
	c, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer alice-secret"}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg := []byte(strings.Repeat("x", 100))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHotPath measures the proxy's own work per request before the
// relay: path parsing, authentication (cached), access, route (cached) and
// the activity mark. It should not allocate.
func BenchmarkHotPath(b *testing.B) {
	h := benchHarness(b)
	h.route("lab", smallBackend(b), store.Route{})
	r := httptest.NewRequest(http.MethodGet, "/notebook/alice/lab/api/kernels", nil)
	r.Header.Set("Authorization", "Bearer alice-secret")
	w := httptest.NewRecorder()
	if _, ok := h.p.admit(w, r, place{at: auth.PlaceHub}); !ok {
		b.Fatalf("admit: %d %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		a, ok := h.p.admit(w, r, place{at: auth.PlaceHub})
		if !ok {
			b.Fatal("not admitted")
		}
		h.p.activity.mark(a.t.key, time.Now())
	}
}

// BenchmarkHotPathWorkspaceOrigin is BenchmarkHotPath as browsers reach
// it: the front door's host classification, then admission on a workspace
// origin with that origin's cookie checked by the real authenticator
// (cached). It should not allocate either.
func BenchmarkHotPathWorkspaceOrigin(b *testing.B) {
	f, cookie := benchFrontDoor(b)
	f.route("lab", smallBackend(b), store.Route{})
	r := httptest.NewRequest(http.MethodGet, "/notebook/alice/lab/api/kernels", nil)
	r.Host = "alice.ws.test"
	r.Header.Set("Cookie", cookie)
	w := httptest.NewRecorder()
	admit := func() (admitted, bool) {
		at, ns := f.p.origins.Classify(r.Host)
		return f.p.admit(w, r, place{at: at, ns: ns, host: auth.NormalizeHost("http", r.Host)})
	}
	if _, ok := admit(); !ok {
		b.Fatalf("admit: %d %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		a, ok := admit()
		if !ok {
			b.Fatal("not admitted")
		}
		f.p.activity.mark(a.t.key, time.Now())
	}
}

// BenchmarkIdleWebsocketMemory opens idleWebsockets idle websockets
// directly, then as many through the proxy, and reports what the proxy adds
// per websocket (heap and goroutine stacks, after GC), as B/ws.
func BenchmarkIdleWebsocketMemory(b *testing.B) {
	const n = idleWebsockets
	backend, open := countingEchoBackend(b)
	h := benchHarness(b)
	h.route("lab", backend, store.Route{})

	direct := idleMemory(b, "ws"+strings.TrimPrefix(backend.URL, "http")+"/notebook/alice/lab/ws", n)
	for open.Load() != 0 {
		runtime.Gosched() // the backend's handlers end
	}
	proxied := idleMemory(b, "ws"+strings.TrimPrefix(h.srv.URL, "http")+"/notebook/alice/lab/ws", n)
	for b.Loop() {
	}
	// after the loop, which resets reported metrics
	b.ReportMetric(float64(proxied-direct)/n, "B/ws")
	b.ReportMetric(float64(direct)/n, "direct-B/ws")
}

const idleWebsockets = 2000

// idleMemory opens n websockets to url and returns by how much they grew
// the heap and stacks; it closes them before returning.
func idleMemory(b *testing.B, url string, n int) int64 {
	before := liveBytes()
	conns := make([]*websocket.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	hd := http.Header{"Authorization": {"Bearer alice-secret"}}
	for range n {
		c, _, err := websocket.DefaultDialer.Dial(url, hd)
		if err != nil {
			b.Fatalf("websocket %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	return int64(liveBytes()) - int64(before)
}

func liveBytes() uint64 {
	var m runtime.MemStats
	for range 3 {
		runtime.GC() // also shrinks idle goroutines' stacks
	}
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// countingEchoBackend is a websocket echo server that counts its open
// connections.
func countingEchoBackend(b *testing.B) (*httptest.Server, *atomic.Int64) {
	var open atomic.Int64
	up := websocket.Upgrader{}
	s := httpServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		open.Add(1)
		defer open.Add(-1)
		defer c.Close()
		for {
			mt, m, err := c.ReadMessage()
			if err != nil || c.WriteMessage(mt, m) != nil {
				return
			}
		}
	}))
	return s, &open
}
