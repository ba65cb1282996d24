package proxy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"reflect"
	"testing"

	"github.com/spawnhub/spawnhub/store"
)

// relayed is what a client and the server saw of one request through the
// proxy.
type relayed struct {
	Seen     echoed      // the request as the server got it
	Status   int         // the client's
	Header   http.Header // without Date
	Body     string
	Trailer  http.Header
	Informal []int                  // 1xx codes the client got
	Hints    []textproto.MIMEHeader // their headers
}

// conformanceBackend records each request and answers by path: hop-by-hop
// fields, a 103 first, trailers announced and not, a server-sent event
// stream, or a 101 nobody asked for.
func conformanceBackend(t *testing.T, seen *echoed) *httptest.Server {
	return httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*seen = echoed{r.Method, r.URL.Path, r.RequestURI, r.Host, r.Header}
		h := w.Header()
		switch r.URL.Path {
		case "/notebook/alice/lab/hops":
			h["Connection"] = []string{"X-Hop"}
			h["X-Hop"] = []string{"1"}
			h["Keep-Alive"] = []string{"timeout=5"}
			h["X-Kept"] = []string{"a", "b"}
		case "/notebook/alice/lab/early":
			h.Set("Link", "</s.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			h.Del("Link")
		case "/notebook/alice/lab/trailers":
			h.Set("Trailer", "X-Announced")
			_, _ = io.WriteString(w, "body ")
			w.(http.Flusher).Flush()
			h.Set("X-Announced", "yes")
			h.Set(http.TrailerPrefix+"X-Late", "also")
		case "/notebook/alice/lab/events":
			h.Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "data: 1\n\n")
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, "data: 2\n\n")
			return
		case "/notebook/alice/lab/switch":
			h.Set("Upgrade", "foo")
			h.Set("Connection", "Upgrade")
			w.WriteHeader(http.StatusSwitchingProtocols)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
}

// relayThrough sends a GET for path as alice through h, with header, and
// returns what both ends saw.
func relayThrough(t *testing.T, h *harness, seen *echoed, path string, header http.Header) relayed {
	t.Helper()
	*seen = echoed{}
	var out relayed
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, hdr textproto.MIMEHeader) error {
		out.Informal, out.Hints = append(out.Informal, code), append(out.Hints, hdr)
		return nil
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
		http.MethodGet, h.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header.Clone()
	req.Header.Set("Authorization", "Bearer alice-secret")
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	res.Header.Del("Date")
	out.Seen, out.Status, out.Header, out.Body, out.Trailer = *seen, res.StatusCode, res.Header, string(body), res.Trailer
	if out.Seen.Header.Get("X-Forwarded-Host") == req.URL.Host { // the two proxies have their own ports
		out.Seen.Header.Set("X-Forwarded-Host", "the proxy")
	}
	out.Seen.Host = ""
	return out
}

// TestLeanRelayAsReverseProxy: the lean relay sends the server the request
// ReverseProxy sends (hop-by-hop and client forwarding fields dropped,
// Te: trailers kept, no User-Agent added, a bad query cleaned, the
// server's token instead of the client's credentials) and gives the client
// what ReverseProxy gives (hop-by-hop fields dropped, a 103 forwarded,
// trailers announced and not, an event stream, 502 for a 101 nobody asked
// for).
func TestLeanRelayAsReverseProxy(t *testing.T) {
	var leanSeen, stdSeen echoed
	lean := newHarness(t)
	std := newHarness(t, func(o *Options) { o.StdTransport = true })
	if lean.p.lean == nil || std.p.lean != nil {
		t.Fatal("the harnesses do not relay one with the lean client, one with ReverseProxy")
	}
	lean.route("lab", conformanceBackend(t, &leanSeen), store.Route{Token: "server-token"})
	std.route("lab", conformanceBackend(t, &stdSeen), store.Route{Token: "server-token"})
	header := http.Header{
		"Connection": {"X-Drop"}, "X-Drop": {"1"}, "Te": {"trailers"}, "Keep-Alive": {"300"},
		"X-Forwarded-For": {"6.6.6.6"}, "Forwarded": {"for=6.6.6.6"}, "X-Real-Ip": {"6.6.6.6"},
		"User-Agent": {""}, "Cookie": {"a=1; spawnhub_session=secret"}, "X-Multi": {"1", "2"},
	}
	for _, path := range []string{
		"/notebook/alice/lab/hops?a=1;b=2&c=%zz&d=4", "/notebook/alice/lab/early",
		"/notebook/alice/lab/trailers", "/notebook/alice/lab/events", "/notebook/alice/lab/switch",
		"/notebook/alice/lab/plain?x=%2F&y",
	} {
		got, want := relayThrough(t, lean, &leanSeen, path, header), relayThrough(t, std, &stdSeen, path, header)
		if !reflect.DeepEqual(got, want) {
			g, _ := json.MarshalIndent(got, "", " ")
			w, _ := json.MarshalIndent(want, "", " ")
			t.Errorf("%s: lean relay\n%s\nReverseProxy\n%s", path, g, w)
		}
	}
	if got := relayThrough(t, lean, &leanSeen, "/notebook/alice/lab/switch", http.Header{}); got.Status != http.StatusBadGateway {
		t.Errorf("101 without an upgrade: status %d, want 502", got.Status)
	}
}
