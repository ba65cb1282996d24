package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/proxy/sockio"
)

// leanFor returns a Transport configured as the proxy's, whose
// connections write each request as they read its reply (sockConn).
func leanFor(t *testing.T) *Transport {
	t.Helper()
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &sockConn{TCPConn: nc.(*net.TCPConn), io: sockio.New(nc)}, nil
	}
	lt := New(Options{Dial: dial, HeaderTimeout: 5 * time.Minute, Other: &http.Transport{DialContext: d.DialContext}})
	t.Cleanup(lt.CloseIdleConnections)
	return lt
}

// leanPlain is leanFor with plain connections, written then read.
func leanPlain(t *testing.T) *Transport {
	t.Helper()
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	lt := New(Options{Dial: d.DialContext, HeaderTimeout: 5 * time.Minute, Other: &http.Transport{DialContext: d.DialContext}})
	t.Cleanup(lt.CloseIdleConnections)
	return lt
}

// sockConn reads and writes through package sockio, as the proxy's
// connections to workspaces do (the lean client peeks at its socket).
type sockConn struct {
	*net.TCPConn
	io *sockio.Conn
}

func (c *sockConn) Read(p []byte) (int, error)         { return c.io.Read(p) }
func (c *sockConn) Write(p []byte) (int, error)        { return c.io.Write(p) }
func (c *sockConn) WriteRead(w, r []byte) (int, error) { return c.io.WriteRead(w, r) }

func httpServer(t testing.TB, h http.Handler) *httptest.Server {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// remoteBackend answers every request with the client's address, so that
// tests can tell connections apart. ?close=1 answers Connection: close;
// ?size=N sends N bytes after the address line.
func remoteBackend(t *testing.T) *httptest.Server {
	return httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("close") != "" {
			w.Header().Set("Connection", "close")
		}
		_, _ = io.WriteString(w, r.RemoteAddr+"\n")
		if n, _ := strconv.Atoi(r.URL.Query().Get("size")); n > 0 {
			_, _ = w.Write(bytes.Repeat([]byte("x"), n))
		}
	}))
}

// do sends a request with lt and returns the first line of the body, having
// read (all) or closed the body after 4 bytes (partial).
func do(t *testing.T, lt http.RoundTripper, method, url string, partial bool) string {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := lt.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	if partial {
		buf := make([]byte, 4)
		_, _ = io.ReadFull(res.Body, buf)
		return string(buf)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	line, _, _ := strings.Cut(string(body), "\n")
	return line
}

func TestLeanTransportConnectionReuse(t *testing.T) {
	for _, tt := range []struct {
		name   string
		first  string // query of the first request
		method string
		reused bool
	}{
		{"keep-alive", "", http.MethodGet, true},
		{"post without body", "", http.MethodPost, true},
		{"large body read to the end", "?size=1000000", http.MethodGet, true},
		{"server says close", "?close=1", http.MethodGet, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lt, backend := leanFor(t), remoteBackend(t)
			first := do(t, lt, tt.method, backend.URL+"/"+tt.first, false)
			second := do(t, lt, http.MethodGet, backend.URL+"/", false)
			if got := first == second; got != tt.reused {
				t.Errorf("first from %s, second from %s: reused = %v, want %v", first, second, got, tt.reused)
			}
		})
	}
}

func TestLeanTransportPartialBodyNotReused(t *testing.T) {
	lt, backend := leanFor(t), remoteBackend(t)
	do(t, lt, http.MethodGet, backend.URL+"/?size=1000000", true)
	if n := lt.pool.count(backend.Listener.Addr().String()); n != 0 {
		t.Errorf("idle connections after a partly read body = %d, want 0", n)
	}
}

func TestLeanTransportRetriesClosedIdleConnection(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			lt, backend := leanFor(t), remoteBackend(t)
			first := do(t, lt, method, backend.URL+"/", false)
			backend.CloseClientConnections() // the idle connection dies
			second := do(t, lt, method, backend.URL+"/", false)
			if first == second {
				t.Errorf("both requests from %s, want a new connection after the server closed the first", first)
			}
		})
	}
}

func TestLeanTransportNoBodyResponses(t *testing.T) {
	backend := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		w.Header().Set("Content-Length", "13")
		w.WriteHeader(code)
		if r.Method != http.MethodHead && code == 200 {
			_, _ = io.WriteString(w, "hello, world\n")
		}
	}))
	lt := leanFor(t)
	for _, tt := range []struct {
		method string
		code   int
	}{
		{http.MethodHead, 200}, {http.MethodGet, 204}, {http.MethodGet, 304},
	} {
		req, _ := http.NewRequest(tt.method, backend.URL+"/?code="+strconv.Itoa(tt.code), nil)
		res, err := lt.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s %d: %v", tt.method, tt.code, err)
		}
		if res.StatusCode != tt.code || res.Body != http.NoBody {
			t.Errorf("%s %d: got %d with body %T, want %d with http.NoBody", tt.method, tt.code, res.StatusCode, res.Body, tt.code)
		}
		if n := lt.pool.count(backend.Listener.Addr().String()); n != 1 {
			t.Errorf("%s %d: idle connections = %d, want 1", tt.method, tt.code, n)
		}
	}
}

func TestLeanTransportInformational(t *testing.T) {
	backend := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		_, _ = io.WriteString(w, "done")
	}))
	var got []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		got = append(got, fmt.Sprint(code, " ", h.Get("Link")))
		return nil
	}}
	req, _ := http.NewRequest(http.MethodGet, backend.URL, nil)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	res, err := leanFor(t).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || string(body) != "done" {
		t.Errorf("final response %d %q, want 200 %q", res.StatusCode, body, "done")
	}
	if want := "103 </style.css>; rel=preload"; len(got) != 1 || got[0] != want {
		t.Errorf("1xx seen = %q, want [%q]", got, want)
	}
}

func TestLeanTransportCancelMidResponse(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	backend := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first part\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	lt := leanFor(t)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, backend.URL, nil)
	res, err := lt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if line != "first part\n" {
		t.Fatalf("first line = %q (%v), want %q", line, err, "first part\n")
	}
	cancel()
	_, err = io.ReadAll(res.Body)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("reading after cancel: err = %v, want context.Canceled", err)
	}
	_ = res.Body.Close()
	if n := lt.pool.count(backend.Listener.Addr().String()); n != 0 {
		t.Errorf("idle connections after cancel = %d, want 0", n)
	}
}

func TestLeanTransportChunkedResponse(t *testing.T) {
	backend := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		for i := range 3 {
			fmt.Fprintf(w, "chunk %d\n", i)
			w.(http.Flusher).Flush()
		}
		w.Header().Set("X-Sum", "3")
	}))
	lt := leanFor(t)
	req, _ := http.NewRequest(http.MethodGet, backend.URL, nil)
	res, err := lt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if want := "chunk 0\nchunk 1\nchunk 2\n"; err != nil || string(body) != want {
		t.Errorf("body = %q (%v), want %q", body, err, want)
	}
	if got := res.Trailer.Get("X-Sum"); got != "3" {
		t.Errorf("trailer X-Sum = %q, want %q", got, "3")
	}
	if n := lt.pool.count(backend.Listener.Addr().String()); n != 1 {
		t.Errorf("idle connections after a chunked body = %d, want 1", n)
	}
}

// An event stream's first event reaches the client while the server is still
// writing: the test blocks (and times out) if the proxy buffers it.
func TestHostPort(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8888": "127.0.0.1:8888",
		"pod":            "pod:80",
		"[::1]":          "[::1]:80",
		"[::1]:8888":     "[::1]:8888",
		"10.0.0.1":       "10.0.0.1:80",
	} {
		if got := hostPort(in); got != want {
			t.Errorf("hostPort(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConnPoolExpires(t *testing.T) {
	p := newConnPool(2, time.Minute)
	now := time.Now()
	a, b := net.Pipe()
	defer b.Close()
	p.put(newUpConn(a, "x:80"), now)
	if c := p.take("x:80", now.Add(2*time.Minute)); c != nil {
		t.Errorf("take after maxAge = a connection, want nil")
	}
	if _, err := a.Write([]byte("x")); err == nil {
		t.Errorf("expired connection still open, want it closed")
	}
	c1, c2, c3 := newUpConn(nopConn(), "x:80"), newUpConn(nopConn(), "x:80"), newUpConn(nopConn(), "x:80")
	for _, c := range []*upConn{c1, c2, c3} {
		p.put(c, now)
	}
	if n := p.count("x:80"); n != 2 {
		t.Errorf("idle connections = %d, want maxIdle 2", n)
	}
	if c := p.take("x:80", now); c != c2 {
		t.Errorf("take = %p, want the newest kept %p", c, c2)
	}
	p.closeIdle(now.Add(time.Second))
	if n := p.count("x:80"); n != 0 {
		t.Errorf("idle connections after closeIdle = %d, want 0", n)
	}
}

func nopConn() net.Conn {
	a, b := net.Pipe()
	_ = b.Close()
	return a
}

// TestLeanTransportHeaderDeadline: the header timeout bounds a server's
// answer, and the read deadline a connection keeps between exchanges
// (rather than clearing it after each) neither fails a later request on it,
// bodiless POST included, once it has passed while idle, nor cuts a body
// that takes longer than the timeout.
func TestLeanTransportHeaderDeadline(t *testing.T) {
	const timeout = 300 * time.Millisecond
	srv := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow-header":
			time.Sleep(3 * timeout)
		case "/slow-body":
			_, _ = io.WriteString(w, r.RemoteAddr+"\n")
			w.(http.Flusher).Flush()
			time.Sleep(2 * timeout)
		}
		_, _ = io.WriteString(w, r.RemoteAddr+"\n")
	}))
	d := &net.Dialer{}
	lt := New(Options{Dial: d.DialContext, HeaderTimeout: timeout, Other: &http.Transport{}})
	t.Cleanup(lt.CloseIdleConnections)
	first := do(t, lt, http.MethodGet, srv.URL+"/", false)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		time.Sleep(2 * timeout) // the kept deadline passes while the connection is idle
		if got := do(t, lt, method, srv.URL+"/", false); got != first {
			t.Errorf("%s after the deadline passed: from %s, want the idle connection %s", method, got, first)
		}
	}
	if got := do(t, lt, http.MethodGet, srv.URL+"/slow-body", false); got != first {
		t.Errorf("a body slower than the header timeout: from %s, want %s", got, first)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/slow-header", nil)
	if res, err := lt.RoundTrip(req); err == nil || !isTimeoutErr(err) {
		if res != nil {
			res.Body.Close()
		}
		t.Errorf("a header slower than the timeout: err = %v, want a timeout", err)
	}
}

func isTimeoutErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// lingeringServer answers each request on a connection with its
// connection's number; told to on linger, it shuts its side of the
// connection it has, as a server closing an idle connection with a
// lingering close does, and reads on.
func lingeringServer(t *testing.T, linger <-chan struct{}) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() { // ends with the listener
		for n := 0; ; n++ {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { nc.Close() })
			go answerThenLinger(nc, n, linger)
		}
	}()
	return l.Addr().String()
}

func answerThenLinger(nc net.Conn, n int, linger <-chan struct{}) {
	br := bufio.NewReader(nc)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	_ = req.Body.Close()
	body := strconv.Itoa(n)
	fmt.Fprintf(nc, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	if n == 0 {
		<-linger
		_ = nc.(*net.TCPConn).CloseWrite()
		_, _ = io.Copy(io.Discard, nc) // reads on, answering nothing
		return
	}
	answerThenLinger(nc, n, nil)
}

// TestLeanTransportLingeringClose: a connection whose server shut its
// side while it sat idle, reading on, is given up at once for a new one,
// not waited on, once it has been idle long enough for a server to close
// it (within writeReadIdle, a request is written as its reply is read).
func TestLeanTransportLingeringClose(t *testing.T) {
	linger := make(chan struct{})
	addr := lingeringServer(t, linger)
	lt := leanFor(t)
	if got := do(t, lt, http.MethodGet, "http://"+addr+"/", false); got != "0" {
		t.Fatalf("first answer from connection %q, want 0", got)
	}
	close(linger)
	c := lt.pool.take(addr, time.Now())
	waitReadable(t, c.nc) // the server's FIN is in
	// Idle for longer than writeReadIdle, not yet expired (maxAge).
	c.idleSince = time.Now().Add(-writeReadIdle - 100*time.Millisecond)
	lt.pool.put(c, c.idleSince)
	if got := do(t, lt, http.MethodGet, "http://"+addr+"/", false); got != "1" {
		t.Errorf("second answer from connection %q, want 1", got)
	}
}

// waitReadable waits until nc's socket has something to read, or its end,
// without reading it.
func waitReadable(t *testing.T, nc net.Conn) {
	t.Helper()
	rc, err := nc.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	for range 60000 { // a minute at most: a hang fails, not a speed
		got := -1
		_ = rc.Control(func(fd uintptr) {
			got, _, _ = syscall.Recvfrom(int(fd), make([]byte, 1), syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		})
		if got >= 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the socket never became readable")
}
