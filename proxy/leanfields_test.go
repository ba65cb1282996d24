package proxy

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/spawnhub/spawnhub/proxy/internal/h1"
	"github.com/spawnhub/spawnhub/store"
)

// fieldRoutes are the routes the lean fields are checked on: a plain one
// with the server's token, and one with a kind's presentation (headers of
// its own, some a client may not send, and the prefix stripped).
var fieldRoutes = []store.Route{
	{Target: "http://127.0.0.1:8888", Token: "server-token"},
	{Target: "http://127.0.0.1:8787", StripPrefix: true, RewriteRedirects: true, Headers: map[string]string{
		"X-RStudio-Root-Path": "/notebook/alice/lab/", "x-forwarded-proto": "https", "Cookie": "fixed=1", "Te": "gzip",
	}},
}

// capturedRequest is the head of a request as a server parses it.
type capturedRequest struct {
	Method, RequestURI, Host string
	Header                   http.Header
}

func parseCaptured(t *testing.T, head []byte) capturedRequest {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
	if err != nil {
		t.Fatalf("the written request does not parse: %v\n%q", err, head)
	}
	return capturedRequest{req.Method, req.RequestURI, req.Host, req.Header}
}

// capture is a RoundTripper that keeps the head of the request it is sent.
type capture struct{ head bytes.Buffer }

func (c *capture) RoundTrip(req *http.Request) (*http.Response, error) {
	c.head.Reset()
	if err := req.Write(&c.head); err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: http.StatusNoContent, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

// viaReverseProxy is the head ReverseProxy, with the route's rewrite,
// sends the server for r.
func viaReverseProxy(t *testing.T, u *upstream, r *http.Request) capturedRequest {
	t.Helper()
	var c capture
	rp := *u.rp
	rp.Transport = &c
	rp.ServeHTTP(httptest.NewRecorder(), r)
	return parseCaptured(t, c.head.Bytes())
}

// viaLeanRelay is the head the lean relay sends the server for r.
func viaLeanRelay(t *testing.T, p *Proxy, u *upstream, r *http.Request) capturedRequest {
	t.Helper()
	ex := leanExchanges.Get().(*leanExchange)
	defer ex.release()
	ex.prepare(p, r, u)
	var head bytes.Buffer
	bw := bufio.NewWriter(&head)
	if err := h1.WriteRequest(bw, &ex.req, ex); err != nil {
		t.Fatal(err)
	}
	bw.Flush()
	return parseCaptured(t, head.Bytes())
}

// clientRequest parses a client's request for target with the given
// header lines, as a server would get it; nil when it does not parse or
// is not one the lean relay takes.
func clientRequest(target, fields string) *http.Request {
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(
		"GET " + target + " HTTP/1.1\r\nHost: lab.localhost:8080\r\n" + fields + "\r\n")))
	if err != nil || r.ContentLength != 0 || r.Header["Upgrade"] != nil || !strings.HasPrefix(r.URL.Path, Prefix+"alice/lab") {
		return nil
	}
	r.RemoteAddr, r.RequestURI = "127.0.0.7:40000", ""
	return r
}

func fieldUpstreams(t testing.TB, p *Proxy) []*upstream {
	var ups []*upstream
	for _, r := range fieldRoutes {
		u, err := p.newUpstream("alice/lab", r)
		if err != nil {
			t.Fatal(err)
		}
		ups = append(ups, u)
	}
	return ups
}

var fieldSeeds = []string{
	"",
	"User-Agent: lab/4\r\nAccept: */*\r\nCookie: a=1; spawnhub_session=s\r\nCookie: b=2\r\n",
	"Connection: keep-alive\r\nKeep-Alive: 300\r\nTe: gzip, Trailers\r\nX-Forwarded-For: 6.6.6.6\r\nForwarded: for=x\r\n",
	"Connection: Cookie, user-agent\r\nConnection: X-FORWARDED-HOST ,Authorization, Te,X-Drop\r\nX-Drop: 1\r\nCookie: a=1\r\nUser-Agent: u\r\nTe: trailers\r\n",
	"User-Agent: first\r\nUser-Agent: second\r\nX-Real-Ip: 6.6.6.6\r\nX-Rstudio-Username: root\r\nAuthorization: Bearer x\r\n",
	"Cookie: spawnhub_session=s\r\nCookie: __Host-SpawnHub_x=1;  ; c=3 ;d\r\nX-Multi: 1\r\nX-Multi: 2\r\nx-lower: l\r\n",
	"Connection: \u212aeep-alive, X-\u212a\r\nX-K: 1\r\nUser-Agent:\r\nX-Forwarded-Proto: https\r\n",
}

// TestLeanFieldsAsReverseProxy: for every header shape of the seeds, on
// a plain route and one with a presentation, the lean relay writes the
// server the head ReverseProxy with the route's rewrite sends.
func TestLeanFieldsAsReverseProxy(t *testing.T) {
	h := newHarness(t)
	for i, u := range fieldUpstreams(t, h.p) {
		for _, fields := range fieldSeeds {
			for _, target := range []string{"/notebook/alice/lab/api/x?a=1;b=2", "/notebook/alice/lab"} {
				r := clientRequest(target, fields)
				if r == nil {
					t.Fatalf("seed %q does not parse", fields)
				}
				if got, want := viaLeanRelay(t, h.p, u, r), viaReverseProxy(t, u, r); !reflect.DeepEqual(got, want) {
					t.Errorf("route %d, %s with\n%s\nlean relay wrote %+v\nReverseProxy %+v", i, target, fields, got, want)
				}
			}
		}
	}
}

// TestLeanFieldsAllocateNothing: a request with spawnhub's cookie to
// strip, on a route with a presentation, costs no allocation.
func TestLeanFieldsAllocateNothing(t *testing.T) {
	h := newHarness(t)
	u := fieldUpstreams(t, h.p)[1]
	r := clientRequest("/notebook/alice/lab/api/x", fieldSeeds[1])
	ex := leanExchanges.Get().(*leanExchange)
	ex.prepare(h.p, r, u)
	var head bytes.Buffer
	bw := bufio.NewWriterSize(&head, 4096)
	if n := testing.AllocsPerRun(100, func() {
		head.Reset()
		_ = h1.WriteRequest(bw, &ex.req, ex)
		_ = bw.Flush()
	}); n != 0 {
		t.Errorf("%v allocations per request head, want 0", n)
	}
}

func FuzzLeanFields(f *testing.F) {
	for _, s := range fieldSeeds {
		f.Add("/notebook/alice/lab/x", s, uint8(0))
		f.Add("/notebook/alice/lab/%2F?q", s, uint8(1))
	}
	h := newHarness(f)
	ups := fieldUpstreams(f, h.p)
	f.Fuzz(func(t *testing.T, target, fields string, route uint8) {
		r := clientRequest(target, fields)
		if r == nil {
			return
		}
		u := ups[int(route)%len(ups)]
		if got, want := viaLeanRelay(t, h.p, u, r), viaReverseProxy(t, u, r); !reflect.DeepEqual(got, want) {
			t.Errorf("lean relay wrote %+v\nReverseProxy %+v", got, want)
		}
	})
}

// TestLeanRedirectUnderRouteForwardedHost: a route that names the
// forwarded host itself has the server's redirects to that host kept
// under the prefix on the lean relay as through ReverseProxy.
func TestLeanRedirectUnderRouteForwardedHost(t *testing.T) {
	route := store.Route{RewriteRedirects: true, Headers: map[string]string{"X-Forwarded-Host": "lab.example"}}
	redirecting := func() *httptest.Server {
		return httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://"+r.Header.Get("X-Forwarded-Host")+"/auth-sign-in", http.StatusFound)
		}))
	}
	lean := newHarness(t)
	std := newHarness(t, func(o *Options) { o.StdTransport = true })
	lean.route("lab", redirecting(), route)
	std.route("lab", redirecting(), route)
	got := lean.get("/notebook/alice/lab/", "alice-secret").Header.Get("Location")
	want := std.get("/notebook/alice/lab/", "alice-secret").Header.Get("Location")
	if got != want || got != "/notebook/alice/lab/auth-sign-in" {
		t.Errorf("Location: lean relay %q, ReverseProxy %q; want /notebook/alice/lab/auth-sign-in", got, want)
	}
}
