package h1

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// The conformance suite sends the same requests through Transport and
// through net/http's http.Transport to a raw HTTP/1.1 server, and compares
// what the server parsed and what the client got. Where net/http refuses a
// request (a CR or LF where it would start a new field or request), the
// lean client may instead send it with the offending field dropped or its
// line breaks turned into spaces, as Request.Write does; in every case the
// server must never see a field or a request the client did not ask for.

// seenRequest is one request as the server parsed it.
type seenRequest struct {
	Conn             int // which connection carried it, from 0
	Method, URI      string
	Host             string
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Close            bool
}

// got is what the client got for one request.
type got struct {
	Err    bool
	Status int
	Body   string
	Got1xx []int
}

// outcome is one run of a case.
type outcome struct {
	Seen []seenRequest
	Got  []got
}

type conformanceCase struct {
	name string
	// req builds the i-th request (of n, sent one after the other).
	req func(i int, base *url.URL) *http.Request
	n   int
	// answer is the server's raw response to the i-th request it reads,
	// and whether it then closes the connection (without saying so).
	answer func(i int) (raw string, closeAfter bool)
	// netHTTPRefuses: net/http refuses the request; the lean client may
	// send it neutralized instead.
	netHTTPRefuses bool
	// differs says why the lean client deliberately gets leanGot instead
	// of what net/http gets.
	differs string
	leanGot []got
}

const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

func ok(int) (string, bool) { return okResponse, false }

func get(header http.Header) func(int, *url.URL) *http.Request {
	return func(_ int, base *url.URL) *http.Request {
		h := header.Clone()
		if h == nil {
			h = http.Header{}
		}
		return &http.Request{Method: http.MethodGet, URL: cloneURL(base, "/a?b=c"), Header: h}
	}
}

func cloneURL(base *url.URL, uri string) *url.URL {
	u, _ := url.Parse(base.String() + uri)
	return u
}

var conformanceCases = []conformanceCase{
	{name: "plain GET", n: 2, answer: ok, req: get(http.Header{"Accept": {"*/*"}, "Cookie": {"a=1", "b=2"}})},
	{name: "smuggling: Content-Length and Transfer-Encoding fields on a bodiless GET", n: 2, answer: ok,
		req: get(http.Header{"Content-Length": {"40"}, "Transfer-Encoding": {"chunked"}})},
	{name: "smuggling: a request inside a field value", n: 1, answer: ok, netHTTPRefuses: true,
		req: get(http.Header{"X-A": {"1\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: pod"}})},
	{name: "CR/LF in a field value", n: 1, answer: ok, netHTTPRefuses: true,
		req: get(http.Header{"X-A": {"1\r\nX-Injected: 1"}})},
	{name: "bare LF in a field value", n: 1, answer: ok, netHTTPRefuses: true,
		req: get(http.Header{"X-A": {"1\nX-Injected: 1"}})},
	{name: "CR/LF in a field name", n: 1, answer: ok, netHTTPRefuses: true,
		req: get(http.Header{"X-A\r\nX-Injected": {"1"}})},
	{name: "CR/LF in the Host", n: 1, answer: ok, req: func(i int, base *url.URL) *http.Request {
		r := get(nil)(i, base)
		r.Host = "pod\r\nX-Injected: 1"
		return r
	}},
	{name: "CR/LF in the method", n: 1, answer: ok, req: func(i int, base *url.URL) *http.Request {
		r := get(nil)(i, base)
		r.Method = "GET /smuggled HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET"
		return r
	}},
	{name: "CR/LF in the path", n: 1, answer: ok, req: func(i int, base *url.URL) *http.Request {
		r := get(nil)(i, base)
		r.URL.Path = "/a HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /smuggled"
		return r
	}},
	{name: "1xx before the response", n: 2, req: get(nil), answer: func(int) (string, bool) {
		return "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n" + okResponse, false
	}},
	{name: "five 1xx", n: 1, req: get(nil), answer: func(int) (string, bool) {
		return strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 5) + okResponse, false
	}},
	{name: "six 1xx", n: 1, req: get(nil), answer: func(int) (string, bool) {
		return strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 6) + okResponse, false
	}, differs: "the lean client bounds 1xx responses at 5; net/http leaves the bound to a trace that sees them",
		leanGot: []got{{Err: true, Got1xx: []int{103, 103, 103, 103, 103, 103}}}},
	{name: "server says Connection: close", n: 2, req: get(nil), answer: func(int) (string, bool) {
		return "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true
	}},
	{name: "client says Connection: close", n: 2, answer: ok, req: func(i int, base *url.URL) *http.Request {
		r := get(nil)(i, base)
		r.Close = i == 0
		return r
	}},
	{name: "stale pooled connection, GET", n: 2, req: get(nil), answer: func(int) (string, bool) { return okResponse, true }},
	{name: "stale pooled connection, POST", n: 2, answer: func(int) (string, bool) { return okResponse, true },
		req: func(_ int, base *url.URL) *http.Request {
			return &http.Request{Method: http.MethodPost, URL: cloneURL(base, "/p"), Header: http.Header{}}
		},
		differs: "net/http writes a POST on a pooled connection the server has closed when its read loop has " +
			"not seen the close yet, and fails it (a race); the lean client checks the connection first",
		leanGot: []got{{Status: 200, Body: "ok"}, {Status: 200, Body: "ok"}}},
	{name: "response with Content-Length and Transfer-Encoding", n: 2, req: get(nil), answer: func(int) (string, bool) {
		return "HTTP/1.1 200 OK\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false
	}},
	{name: "response with two different Content-Lengths", n: 1, req: get(nil), answer: func(int) (string, bool) {
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", false
	}},
}

func TestConformsToNetHTTP(t *testing.T) {
	for _, tt := range conformanceCases {
		t.Run(tt.name, func(t *testing.T) {
			d := &net.Dialer{Timeout: 10 * time.Second}
			std := &http.Transport{DialContext: d.DialContext, DisableCompression: true}
			t.Cleanup(std.CloseIdleConnections)
			want := run(t, tt, std)
			got := run(t, tt, leanFor(t))
			if raw := run(t, tt, headRelay{t: leanFor(t)}); !reflect.DeepEqual(raw, got) {
				t.Errorf("lean client keeping heads raw:\n%+v\nparsing them:\n%+v", raw, got)
			}
			if plain := run(t, tt, leanPlain(t)); !reflect.DeepEqual(plain, got) {
				t.Errorf("lean client writing, then reading:\n%+v\nwriting as it reads:\n%+v", plain, got)
			}
			for _, o := range []outcome{want, got} {
				checkNothingInjected(t, o)
			}
			if tt.netHTTPRefuses {
				checkRefusedOrNeutralized(t, got)
				return
			}
			if tt.differs != "" {
				if !reflect.DeepEqual(got.Got, tt.leanGot) {
					t.Errorf("lean client got %+v, want %+v (%s)", got.Got, tt.leanGot, tt.differs)
				}
				return
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("lean client:\n%+v\nnet/http:\n%+v", got, want)
			}
		})
	}
}

// checkNothingInjected fails when the server saw a field or a request the
// client did not ask for.
func checkNothingInjected(t *testing.T, o outcome) {
	t.Helper()
	if len(o.Seen) > len(o.Got) {
		t.Errorf("server read %d requests from %d sent: %+v", len(o.Seen), len(o.Got), o.Seen)
	}
	for _, s := range o.Seen {
		if s.Header["X-Injected"] != nil || strings.Contains(s.URI, "smuggled") && !strings.Contains(s.URI, "%") {
			t.Errorf("server saw an injected field or request: %+v", s)
		}
	}
}

// checkRefusedOrNeutralized: the lean client refused the request, or sent
// it with no line break left in any field.
func checkRefusedOrNeutralized(t *testing.T, o outcome) {
	t.Helper()
	if len(o.Got) == 1 && o.Got[0].Err {
		return
	}
	for _, s := range o.Seen {
		for k, vv := range s.Header {
			for _, v := range vv {
				if strings.ContainsAny(k+v, "\r\n") {
					t.Errorf("field %q: %q reached the server", k, v)
				}
			}
		}
	}
}

// run sends tt's requests through rt, one after the other, to a fresh raw
// server.
func run(t *testing.T, tt conformanceCase, rt http.RoundTripper) outcome {
	t.Helper()
	srv := newRawServer(t, tt.answer)
	var o outcome
	answered := 0
	for i := range tt.n {
		g := send(rt, tt.req(i, srv.url))
		o.Got = append(o.Got, g)
		if g.Status != 0 {
			answered++
			srv.waitIdle(answered) // a connection to be closed is closed before the next request
		}
	}
	o.Seen = srv.requests()
	for i := range o.Seen { // both runs compare equal
		o.Seen[i].Host = strings.ReplaceAll(o.Seen[i].Host, srv.url.Host, "server")
	}
	return o
}

// send makes one round trip and reads the whole response.
func send(rt http.RoundTripper, req *http.Request) got {
	var g got
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
		g.Got1xx = append(g.Got1xx, code)
		return nil
	}}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	res, err := rt.RoundTrip(req)
	if err != nil {
		g.Err = true
		return g
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	g.Status, g.Body, g.Err = res.StatusCode, string(body), err != nil
	return g
}

// rawServer reads requests with http.ReadRequest and answers each with
// bytes given by the test.
type rawServer struct {
	url    *url.URL
	answer func(i int) (string, bool)

	mu      sync.Mutex
	cond    *sync.Cond
	seen    []seenRequest
	settled int // requests answered, and their connection closed if asked
	conns   []net.Conn
}

func newRawServer(t *testing.T, answer func(int) (string, bool)) *rawServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{url: &url.URL{Scheme: "http", Host: ln.Addr().String()}, answer: answer}
	s.cond = sync.NewCond(&s.mu)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() { s.accept(ln, &wg) }) // ends when ln is closed
	return s
}

func (s *rawServer) accept(ln net.Listener, wg *sync.WaitGroup) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		n := len(s.conns)
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		wg.Go(func() { s.serve(c, n) }) // ends when either side closes c
	}
}

func (s *rawServer) serve(c net.Conn, conn int) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		s.mu.Lock()
		i := len(s.seen)
		s.seen = append(s.seen, seenRequest{conn, req.Method, req.RequestURI, req.Host, req.Header,
			req.ContentLength, req.TransferEncoding, req.Close})
		s.mu.Unlock()
		raw, closeAfter := s.answer(i)
		_, err = io.WriteString(c, raw)
		if closeAfter || err != nil || req.Close {
			_ = c.Close()
		}
		s.mu.Lock()
		s.settled++
		s.cond.Broadcast()
		s.mu.Unlock()
		if closeAfter || err != nil || req.Close {
			return
		}
	}
}

// waitIdle waits until n requests have been answered, and their
// connections closed when the answer says so.
func (s *rawServer) waitIdle(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.settled < n {
		s.cond.Wait()
	}
}

func (s *rawServer) requests() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}
