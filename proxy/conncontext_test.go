package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/proxy/internal/h1"
)

var _ h1.AbortWatcher = (*ConnContext)(nil)

// streamingBackend answers every request with its client's address on a
// first line, flushed, then waits for the request to end; it tells on
// ended when its request's context ends (the lean client closed the
// connection).
func streamingBackend(t *testing.T) (url string, ended chan struct{}) {
	ended = make(chan struct{}, 8)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.RemoteAddr+"\n")
		if r.URL.Query().Get("stream") == "" {
			return
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		ended <- struct{}{}
	}))
	t.Cleanup(s.Close)
	return s.URL, ended
}

func leanClient(t *testing.T) *h1.Transport {
	d := &net.Dialer{}
	lt := h1.New(h1.Options{Dial: d.DialContext, Other: http.DefaultTransport})
	t.Cleanup(lt.CloseIdleConnections)
	return lt
}

// firstLine sends a GET for url under ctx and returns the body's first
// line and the body, still open.
func firstLine(t *testing.T, lt *h1.Transport, ctx context.Context, url string) (string, io.ReadCloser) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	res, err := lt.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil {
		t.Fatalf("GET %s: first line: %v", url, err)
	}
	return line, res.Body
}

func TestConnContextEndAbortsStreams(t *testing.T) {
	url, ended := streamingBackend(t)
	lt := leanClient(t)
	cc := NewConnContext(context.Background())
	_, watched := firstLine(t, lt, cc, url+"?stream=1")
	// A second exchange at once under the same context (none on the lean
	// path does this) is watched by context.AfterFunc instead.
	_, second := firstLine(t, lt, cc, url+"?stream=1")
	t.Cleanup(func() { _ = watched.Close(); _ = second.Close() }) // before the server's
	cc.End()
	for _, body := range []io.ReadCloser{watched, second} {
		read := make(chan error, 1)
		go func() { _, err := io.ReadAll(body); read <- err }()
		select {
		case err := <-read:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("reading after End: err = %v, want context.Canceled", err)
			}
		case <-time.After(time.Minute): // a failure, not a speed: End aborts at once
			t.Fatal("End left a stream's exchange running")
		}
		_ = body.Close()
		<-ended // the server's request ended: the connection was closed
	}
}

func TestConnContextWatchEndsWithTheExchange(t *testing.T) {
	url, _ := streamingBackend(t)
	lt := leanClient(t)
	cc := NewConnContext(context.Background())
	first, body := firstLine(t, lt, cc, url)
	_, _ = io.ReadAll(body)
	_ = body.Close()
	if !cc.WatchAbort(func() { t.Error("a watch left by the finished exchange ran") }) || !cc.UnwatchAbort() {
		t.Fatal("the finished exchange still watches the context")
	}
	again, body := firstLine(t, lt, cc, url)
	_ = body.Close()
	if again != first {
		t.Errorf("second exchange came from %q, first from %q: the connection was not kept", again, first)
	}
}

func TestConnContextEndedBeforeTheExchange(t *testing.T) {
	url, _ := streamingBackend(t)
	cc := NewConnContext(context.Background())
	cc.End()
	req, _ := http.NewRequestWithContext(cc, http.MethodGet, url, nil)
	if res, err := leanClient(t).RoundTrip(req); !errors.Is(err, context.Canceled) {
		if err == nil {
			_ = res.Body.Close()
		}
		t.Errorf("RoundTrip after End: err = %v, want context.Canceled", err)
	}
	ran := false
	if !cc.WatchAbort(func() { ran = true }) || !ran || cc.UnwatchAbort() {
		t.Errorf("a watch after End: ran %v, want at once and not watched after", ran)
	}
}
