package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/proxy"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// rawShapes are the answers of a workspace's server, by path, that the
// raw head path and the generic one must give the client alike; raw says
// whether the raw path must take them (for a GET).
var rawShapes = []struct {
	name, resp string
	raw        bool
}{
	{"plain", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", true},
	{"names and blanks", "HTTP/1.1 200 OK\r\ncontent-type:text/plain\r\nX-A:  a  b \t\r\nX-Empty:\r\ncontent-length: 2\r\n\r\nok", true},
	{"hop-by-hop", "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop, x-other\r\nX-Hop: 1\r\nX-Other: 2\r\nKeep-Alive: timeout=5\r\n" +
		"Proxy-Connection: keep-alive\r\nUpgrade: h2c\r\nTe: trailers\r\nTrailer: X-T\r\nProxy-Authenticate: Basic\r\n" +
		"Content-Type: text/plain\r\nX-Kept: a\r\nX-Kept: b\r\nContent-Length: 2\r\n\r\nok", true},
	{"Connection after what it names", "HTTP/1.1 200 OK\r\nX-Hop: 1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: X-Hop\r\n\r\nok", true},
	{"Connection naming many", "HTTP/1.1 200 OK\r\nConnection: a, b, c, d, e, f, g, h, i\r\nA: 1\r\nI: 9\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", false},
	{"Connection naming the type", "HTTP/1.1 200 OK\r\nConnection: Content-Type\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", false},
	{"Connection naming the length", "HTTP/1.1 200 OK\r\nConnection: content-length\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", false},
	{"Set-Cookie", "HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: spawnhub_session=evil\r\nset-cookie: __Host-SPAWNHUB_x=1; Secure\r\n" +
		"Set-Cookie: b=2\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", true},
	{"site data and service workers", "HTTP/1.1 200 OK\r\nClear-Site-Data: \"*\"\r\nService-Worker-Allowed: /\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", true},
	{"Date from the server", "HTTP/1.1 200 OK\r\nDate: Mon, 02 Jan 2006 15:04:05 GMT\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", true},
	{"no type, a body", "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n<html>hi</html>", false},
	{"no type, encoded", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nok", true},
	{"no type, no body", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
	{"redirect", "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n", true},
	{"event stream with a length", "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 9\r\n\r\ndata: 1\n\n", false},
	{"length with zeros and blanks", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length:  002 \r\n\r\nok", true},
	{"equal lengths", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", false},
	{"different lengths", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", false},
	{"chunked", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false},
	{"length and chunked", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false},
	{"204", "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n", false},
	{"304", "HTTP/1.1 304 Not Modified\r\nEtag: \"v\"\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n", false},
	{"early hints", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", true},
	{"server closes", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", false},
	{"Pragma", "HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", false},
	{"obs-fold", "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", false},
	{"LF alone ends a line", "HTTP/1.1 200 OK\r\nX-A: 1\nX-Injected: 1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", false},
	{"CR alone in a value", "HTTP/1.1 200 OK\r\nX-A: 1\rX-Injected: 1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", false},
	{"smuggled response in a value", "HTTP/1.1 200 OK\r\nX-A: 1\n\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
	{"obs-text", "HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"caf\xc3\xa9\"\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", false},
	{"odd status", "HTTP/1.1 299 Whatever\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", true},
	{"server error", "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 1\r\nContent-Length: 4\r\n\r\nbusy", true},
	{"version 1.0", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", false},
	{"big body", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9000\r\n\r\n" + strings.Repeat("x", 9000), true},
	{"short body", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nok", true},
}

// rawUpstream answers each request with the shape its last path element
// names (rawShapes), closing the connection after a short body and after
// the shapes the raw path leaves (some are framed by the close).
func rawUpstream(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() { // ends when ln is closed
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
			wg.Go(func() { serveShapes(c) }) // ends when either side closes c
		}
	})
	return "http://" + ln.Addr().String()
}

func serveShapes(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		name, _ := url.PathUnescape(req.URL.Path[strings.LastIndexByte(req.URL.Path, '/')+1:])
		for _, s := range rawShapes {
			if s.name == name {
				if _, err := io.WriteString(c, s.resp); err != nil || !s.raw || s.name == "short body" {
					return
				}
			}
		}
	}
}

type anyone struct{}

func (anyone) Authenticate(*http.Request) (auth.Identity, error) { return alice, nil }
func (anyone) AuthenticateWorkspace(*http.Request, string) (auth.Identity, error) {
	return alice, nil
}
func (anyone) StillValid(context.Context, auth.Identity) (bool, error) { return true, nil }
func (anyone) CanConnect(context.Context, auth.Identity, string) bool  { return true }

var alice = auth.Identity{UserID: "alice", Namespace: "alice"}

// rawSpy is the lean writer, noting the paths it sent a raw head for.
type rawSpy struct {
	*leanWriter
	path string
	sent *rawSent
}

type rawSent struct {
	mu    sync.Mutex
	paths map[string]bool
}

func (s rawSpy) WriteRawHead(code int, fields []byte, n int64, hasDate bool) bool {
	ok := s.leanWriter.WriteRawHead(code, fields, n, hasDate)
	if ok {
		s.sent.mu.Lock()
		s.sent.paths[s.path] = true
		s.sent.mu.Unlock()
	}
	return ok
}

// took tells whether a raw head went out for path, and forgets it.
func (s *rawSent) took(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	took := s.paths[path]
	delete(s.paths, path)
	return took
}

// noRawHeads hides the lean writer's WriteRawHead: the generic path.
type noRawHeads struct{ http.ResponseWriter }

func (w noRawHeads) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// proxyServers starts a proxy to the shapes' server behind two lean
// servers, one sending raw heads, one not, and returns their addresses.
func proxyServers(t testing.TB, sent *rawSent) (raw, generic string) {
	st := memory.New()
	target := rawUpstream(t)
	ctx := context.Background()
	for name, r := range map[string]store.Route{"lab": {}, "rs": {RewriteRedirects: true, Headers: map[string]string{"X-Kind": "rs"}}} {
		r.Target = target
		if err := st.SetRoute(ctx, store.Key{Namespace: "alice", Name: name}, r); err != nil {
			t.Fatal(err)
		}
	}
	origins, err := auth.NewOrigins(&url.URL{Scheme: "http", Host: "hub.test"}, "http://{ns}.ws.test", false, false)
	if err != nil {
		t.Fatal(err)
	}
	px := proxy.New(proxy.Options{Auth: anyone{}, Access: anyone{}, Routes: st, Activity: st, PubSub: st, Origins: origins,
		RenewSession: func(w http.ResponseWriter, _ auth.Identity) {
			w.Header().Add("Set-Cookie", "spawnhub_ws=renewed; Path=/; HttpOnly")
		}})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = px.Run(ctx); close(done) }() // ends at cancel below
	t.Cleanup(func() { cancel(); <-done })
	serve := func(fast func(http.ResponseWriter, *http.Request) bool) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv, sln := newHTTPServer(px, fast, ln, defaultServerConfig(), quietLog())
		go srv.Serve(sln) // ends at Close below
		t.Cleanup(func() { _ = srv.Close(); _ = sln.Close() })
		return ln.Addr().String()
	}
	raw = serve(func(w http.ResponseWriter, r *http.Request) bool {
		return px.ServeFast(rawSpy{w.(*leanWriter), r.URL.Path, sent}, r)
	})
	generic = serve(func(w http.ResponseWriter, r *http.Request) bool { return px.ServeFast(noRawHeads{w}, r) })
	return raw, generic
}

// clientSaw is a response as the client parsed it, then whether the
// connection served another request.
type clientSaw struct {
	Err       string
	Status    int
	Header    http.Header // Date's value blanked
	Body      string
	BodyErr   bool
	NextWorks bool
}

func fetchShape(t *testing.T, addr, method, server, shape string) clientSaw {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second)) // a hang fails the case, not the run
	br := bufio.NewReader(nc)
	req, _ := http.NewRequest(method, "/", nil)
	send := func(path string) (*http.Response, error) {
		head := method + " /notebook/alice/" + server + "/" + url.PathEscape(path) + " HTTP/1.1\r\nHost: alice.ws.test\r\n\r\n"
		if _, err := io.WriteString(nc, head); err != nil {
			return nil, err
		}
		return http.ReadResponse(br, req)
	}
	res, err := send(shape)
	if err != nil {
		return clientSaw{Err: err.Error()}
	}
	body, err := io.ReadAll(res.Body)
	saw := clientSaw{Status: res.StatusCode, Header: res.Header, Body: string(body), BodyErr: err != nil}
	if _, ok := saw.Header["Date"]; ok {
		saw.Header["Date"] = []string{"-"}
	}
	if next, err := send("plain"); err == nil {
		_, err = io.ReadAll(next.Body)
		saw.NextWorks = err == nil && next.StatusCode == http.StatusOK
	}
	return saw
}

func TestRawHeadsAnswerAsGenericPath(t *testing.T) {
	sent := &rawSent{paths: map[string]bool{}}
	raw, generic := proxyServers(t, sent)
	for _, tt := range rawShapes {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			for _, server := range []string{"lab", "rs"} {
				got := fetchShape(t, raw, method, server, tt.name)
				tookRaw := sent.took("/notebook/alice/" + server + "/" + tt.name)
				want := fetchShape(t, generic, method, server, tt.name)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s %s on %s: raw heads:\n%+v\ngeneric:\n%+v", method, tt.name, server, got, want)
				}
				unsniffed := tt.name == "no type, a body" && method == http.MethodHead // a HEAD's body is not sniffed
				if tookRaw && !tt.raw && !unsniffed {
					t.Errorf("%s %s on %s: sent raw, want the generic path", method, tt.name, server)
				}
				mustRaw := tt.raw && method == http.MethodGet && !(server == "rs" && tt.name == "redirect")
				if mustRaw && !tookRaw {
					t.Errorf("%s %s on %s: not sent raw", method, tt.name, server)
				}
			}
		}
	}
}
