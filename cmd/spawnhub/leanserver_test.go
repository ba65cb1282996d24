package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// reflectHandler answers by path, in the ways a workspace's server and
// the proxy answer, with what it saw of the request in the body: the
// view upstream.
func reflectHandler(w http.ResponseWriter, r *http.Request) {
	view := requestView(r)
	h := w.Header()
	switch r.URL.Path {
	case "/small":
		h.Set("Content-Type", "text/plain")
		h.Set("Content-Length", fmt.Sprint(len(view)))
		_, _ = io.WriteString(w, view)
	case "/nolength":
		_, _ = io.WriteString(w, view) // length counted, type sniffed
	case "/html":
		_, _ = io.WriteString(w, "<!DOCTYPE html><html><body>"+view)
	case "/big":
		h.Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, view+strings.Repeat("x", 5000)) // chunked
	case "/flush":
		_, _ = io.WriteString(w, view)
		http.NewResponseController(w).Flush()
		_, _ = io.WriteString(w, "after the flush")
	case "/trailer":
		h.Set("Trailer", "X-Sum")
		_, _ = io.WriteString(w, view)
		h.Set("X-Sum", "42")
		h.Set(http.TrailerPrefix+"X-Late", "late")
	case "/304":
		h.Set("Content-Type", "text/plain")
		h.Set("Content-Length", "12")
		h.Set("Etag", `"v"`)
		w.WriteHeader(http.StatusNotModified)
	case "/204":
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
	case "/early-hints":
		h.Set("Link", "</a.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		_, _ = io.WriteString(w, view)
	case "/odd-status":
		w.WriteHeader(299)
		_, _ = io.WriteString(w, view)
	case "/bad-length":
		h.Set("Content-Length", "ten")
		_, _ = io.WriteString(w, view)
	case "/short":
		h.Set("Content-Length", "100000")
		_, _ = io.WriteString(w, view) // the connection cannot go on
	case "/close":
		h.Set("Connection", "close")
		_, _ = io.WriteString(w, view)
	case "/identity":
		h.Set("Transfer-Encoding", "identity")
		_, _ = io.WriteString(w, view)
	case "/stream": // until the client goes away
		_, _ = io.WriteString(w, "event: hello\n\n")
		http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
			streamEnded <- "client gone"
		case <-time.After(20 * time.Second):
			streamEnded <- "still streaming"
		}
	case "/abort":
		_, _ = io.WriteString(w, view+strings.Repeat("y", 5000))
		panic(http.ErrAbortHandler)
	default:
		http.NotFound(w, r)
	}
}

// streamEnded tells how /stream ended.
var streamEnded = make(chan string, 1)

// requestView is what a handler sees of r, but the client's port.
func requestView(r *http.Request) string {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range r.Header {
			if !yield(k) {
				return
			}
		}
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q %s %s host=%q remote=%s cl=%d te=%q close=%v trailer=%v\n", r.Method, r.RequestURI, r.URL, r.Proto,
		r.Host, host, r.ContentLength, r.TransferEncoding, r.Close, r.Trailer)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q\n", k, r.Header[k])
	}
	if r.Context().Value(http.ServerContextKey) == nil || r.Context().Value(http.LocalAddrContextKey) == nil {
		b.WriteString("no server context\n")
	}
	return b.String()
}

// declineOdd is a fast handler: it serves what reflectHandler serves but
// the paths under /decline, which go to net/http's server.
func declineOdd(w http.ResponseWriter, r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/decline") {
		w.Header().Set("X-Never", "sent") // a declined request's header is dropped
		return false
	}
	reflectHandler(w, r)
	return true
}

// startServer serves reflectHandler as the replica serves, with or
// without the lean path, and returns its address.
func startServer(t *testing.T, lean bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := defaultServerConfig()
	c.LeanPath = lean
	srv, sln := newHTTPServer(http.HandlerFunc(reflectHandler), declineOdd, ln, c, quietLog())
	if lean != (srv.lean != nil) {
		t.Fatalf("lean path %v, want %v", srv.lean != nil, lean)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sln) }() // ends at Shutdown below
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// exchange sends raw on a fresh connection, closes its writing side and
// returns every byte the server sent until it closed the connection, the
// Date fields blanked.
func exchange(t *testing.T, addr, raw string) string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second)) // a hung server fails the test instead of hanging it
	if _, err := io.WriteString(nc, raw); err != nil {
		t.Fatal(err)
	}
	_ = nc.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(nc)
	if err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		t.Fatalf("reading the answer to %q: %v", raw, err)
	}
	return dateField.ReplaceAllString(string(got), "Date: -\r\n")
}

var dateField = regexp.MustCompile(`Date: [^\r]*\r\n`)

func isReset(err error) bool { return strings.Contains(err.Error(), "connection reset") }

const get = "GET %s HTTP/1.1\r\nHost: ws.localhost\r\nUser-Agent: t\r\nCookie: a=1\r\n\r\n"

// differentialCases are raw request streams: plain ones the lean path
// serves, pipelined ones that it hands over midway, and hostile ones.
var differentialCases = map[string]string{
	"small":           fmt.Sprintf(get, "/small?q=1&r=%20"),
	"no length":       fmt.Sprintf(get, "/nolength"),
	"sniffed":         fmt.Sprintf(get, "/html"),
	"chunked":         fmt.Sprintf(get, "/big"),
	"flushed":         fmt.Sprintf(get, "/flush"),
	"flushed, more":   fmt.Sprintf(get, "/flush") + fmt.Sprintf(get, "/small") + fmt.Sprintf(get, "/flush"),
	"trailers":        fmt.Sprintf(get, "/trailer"),
	"not modified":    fmt.Sprintf(get, "/304"),
	"no content":      fmt.Sprintf(get, "/204"),
	"early hints":     fmt.Sprintf(get, "/early-hints"),
	"odd status":      fmt.Sprintf(get, "/odd-status"),
	"bad length":      fmt.Sprintf(get, "/bad-length"),
	"short body":      fmt.Sprintf(get, "/short") + fmt.Sprintf(get, "/small"),
	"handler closes":  fmt.Sprintf(get, "/close") + fmt.Sprintf(get, "/small"),
	"identity":        fmt.Sprintf(get, "/identity") + fmt.Sprintf(get, "/small"),
	"aborted":         fmt.Sprintf(get, "/abort") + fmt.Sprintf(get, "/small"),
	"not found":       fmt.Sprintf(get, "/nothing"),
	"head":            "HEAD /small HTTP/1.1\r\nHost: ws.localhost\r\n\r\nHEAD /nolength HTTP/1.1\r\nHost: ws.localhost\r\n\r\nHEAD /big HTTP/1.1\r\nHost: ws.localhost\r\n\r\n",
	"pipelined":       fmt.Sprintf(get, "/small") + fmt.Sprintf(get, "/big") + fmt.Sprintf(get, "/nolength"),
	"declined midway": fmt.Sprintf(get, "/small") + fmt.Sprintf(get, "/decline/small") + fmt.Sprintf(get, "/small"),
	"post midway":     fmt.Sprintf(get, "/small") + "POST /small HTTP/1.1\r\nHost: ws.localhost\r\nContent-Length: 3\r\n\r\nabc" + fmt.Sprintf(get, "/small"),
	"header forms":    "GET /small HTTP/1.1\r\nhost: WS.localhost:80\r\ncookie: a=1\r\nCookie: b=2\r\nX-Empty:\r\nx-spaced: \t v  \t\r\nPragma: no-cache\r\nConnection: keep-alive\r\n\r\n",
	"client closes":   "GET /small HTTP/1.1\r\nHost: ws.localhost\r\nConnection: close\r\n\r\n" + fmt.Sprintf(get, "/small"),
	"http/1.0":        "GET /small HTTP/1.0\r\nHost: ws.localhost\r\n\r\n",
	"absolute form":   "GET http://ws.localhost/small HTTP/1.1\r\nHost: other\r\n\r\n",
	"obs-fold":        "GET /small HTTP/1.1\r\nHost: ws.localhost\r\nX-A: 1\r\n folded\r\n\r\n",
	"bare LF":         "GET /small HTTP/1.1\nHost: ws.localhost\n\n",
	"bare LF inside":  "GET /small HTTP/1.1\r\nHost: ws.localhost\nX: 1\r\n\r\n",
	"bare CR":         "GET /small HTTP/1.1\r\nHost: ws.localhost\rX: 1\r\n\r\n",
	"two hosts":       "GET /small HTTP/1.1\r\nHost: ws.localhost\r\nHost: evil\r\n\r\n",
	"no host":         "GET /small HTTP/1.1\r\nX: 1\r\n\r\n",
	"bad host":        "GET /small HTTP/1.1\r\nHost: ws.localhost/x y\r\n\r\n",
	"space in name":   "GET /small HTTP/1.1\r\nHost : ws.localhost\r\n\r\n",
	"NUL":             "GET /small HTTP/1.1\r\nHost: ws.localhost\r\nX: a\x00b\r\n\r\n",
	"obs-text":        "GET /small HTTP/1.1\r\nHost: ws.localhost\r\nX: caf\xc3\xa9\r\n\r\n",
	"bad target":      "GET /%zz HTTP/1.1\r\nHost: ws.localhost\r\n\r\n",
	"double space":    "GET  /small HTTP/1.1\r\nHost: ws.localhost\r\n\r\n",
	"lower method":    "get /small HTTP/1.1\r\nHost: ws.localhost\r\n\r\n",
	"leading CRLF":    "\r\n" + fmt.Sprintf(get, "/small"),
	"long head":       "GET /small HTTP/1.1\r\nHost: ws.localhost\r\nX-Long: " + strings.Repeat("l", 6000) + "\r\n\r\n",
	"expect":          "GET /small HTTP/1.1\r\nHost: ws.localhost\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
	"CL and TE":       "GET /small HTTP/1.1\r\nHost: ws.localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: ws.localhost\r\n\r\n",
	"TE smuggling":    "GET /small HTTP/1.1\r\nHost: ws.localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nGET /\r\n0\r\n\r\n" + fmt.Sprintf(get, "/small"),
	"two lengths":     "GET /small HTTP/1.1\r\nHost: ws.localhost\r\nContent-Length: 0\r\nContent-Length: 40\r\n\r\n" + fmt.Sprintf(get, "/smuggled"),
	"body on GET":     "GET /small HTTP/1.1\r\nHost: ws.localhost\r\nContent-Length: 5\r\n\r\nhello" + fmt.Sprintf(get, "/small"),
	"upgrade":         "GET /small HTTP/1.1\r\nHost: ws.localhost\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
	"trailer field":   "GET /small HTTP/1.1\r\nHost: ws.localhost\r\nTrailer: X\r\n\r\n",
	"half a head":     "GET /small HTTP/1.1\r\nHost: ws.loc",
	"garbage":         "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
	"nothing":         "",
}

// TestLeanPathAnswersAsNetHTTP sends the same bytes to a server with the
// lean path and to one without, and requires the same bytes back (Date
// aside), which hold what the handler saw of each request: the same
// view upstream and for the client, for plain, pipelined, handed-over and
// hostile input alike.
func TestLeanPathAnswersAsNetHTTP(t *testing.T) {
	lean, std := startServer(t, true), startServer(t, false)
	for name, raw := range differentialCases {
		t.Run(name, func(t *testing.T) {
			got, want := exchange(t, lean, raw), exchange(t, std, raw)
			if got != want {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				from := max(i-300, 0)
				t.Fatalf("answers differ at byte %d of %d/%d: lean path\n%q\nnet/http\n%q", i, len(got), len(want), got[from:min(i+200, len(got))], want[from:min(i+200, len(want))])
			}
			if strings.Contains(got, "smuggled") || strings.Contains(got, "X-Never") {
				t.Fatalf("answer has what it must not:\n%s", got)
			}
		})
	}
}

// TestLeanPathServes checks that the plain requests did take the lean
// path (else the differential test would compare net/http with itself):
// a fast handler that tells itself apart.
func TestLeanPathServes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fast := func(w http.ResponseWriter, r *http.Request) bool {
		_, _ = io.WriteString(w, "lean "+r.URL.Path+"\n")
		return !strings.HasPrefix(r.URL.Path, "/std")
	}
	std := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "std "+r.URL.Path+"\n") })
	srv, sln := newHTTPServer(std, func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/std") {
			return false
		}
		return fast(w, r)
	}, ln, defaultServerConfig(), quietLog())
	go srv.Serve(sln) // ends at Shutdown below
	defer srv.Shutdown(context.Background())
	got := exchange(t, ln.Addr().String(), fmt.Sprintf(get, "/a")+fmt.Sprintf(get, "/std")+fmt.Sprintf(get, "/b"))
	for _, want := range []string{"lean /a", "std /std", "std /b"} {
		if !bytes.Contains([]byte(got), []byte(want)) {
			t.Errorf("answers lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "lean /b") || strings.Contains(got, "lean /std") {
		t.Errorf("a handed-over connection came back to the lean path:\n%s", got)
	}
}

// TestLeanPathEndsStreamsOfClientsGone checks that a stream's handler
// learns that its client went away (its context ends), as with net/http's
// background read, so that a relayed stream does not outlive its client.
func TestLeanPathEndsStreamsOfClientsGone(t *testing.T) {
	for _, lean := range []bool{true, false} {
		addr := startServer(t, lean)
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fmt.Fprintf(nc, get, "/stream")
		head := make([]byte, 10)
		if _, err := io.ReadFull(nc, head); err != nil || string(head) != "HTTP/1.1 2" {
			t.Fatalf("lean %v: the stream began with %q, %v", lean, head, err)
		}
		nc.Close()
		if got := <-streamEnded; got != "client gone" {
			t.Errorf("lean %v: stream ended with %q", lean, got)
		}
	}
}
