package proxy

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/spawnhub/spawnhub/store"
)

func TestProxyChunkedRequestBody(t *testing.T) {
	forEachTransport(t, func(t *testing.T, transport func(*Options)) {
		h := newHarness(t, transport)
		h.route("lab", httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %d %q", r.Method, len(body), r.TransferEncoding)
		})), store.Route{})
		pr, pw := io.Pipe()
		go func() {
			for range 100 {
				_, _ = pw.Write(bytes.Repeat([]byte("y"), 1000))
			}
			_ = pw.Close()
		}()
		req, _ := http.NewRequest(http.MethodPut, h.srv.URL+"/notebook/alice/lab/api/contents/x", pr)
		req.Header.Set("Authorization", "Bearer alice-secret")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		got, _ := io.ReadAll(res.Body)
		if want := `PUT 100000 ["chunked"]`; string(got) != want {
			t.Errorf("backend saw %q, want %q", got, want)
		}
	})
}

func TestProxyLargeStreamingBody(t *testing.T) {
	forEachTransport(t, func(t *testing.T, transport func(*Options)) {
		const size = 16 << 20
		h := newHarness(t, transport)
		block := bytes.Repeat([]byte("0123456789abcdef"), 4096)
		h.route("lab", httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for range size / len(block) {
				_, _ = w.Write(block)
			}
		})), store.Route{})
		want := sha256.New()
		for range size / len(block) {
			want.Write(block)
		}
		res := h.get("/notebook/alice/lab/files/big", "alice-secret")
		got := sha256.New()
		n, err := io.Copy(got, res.Body)
		if err != nil || n != size || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
			t.Errorf("body: %d bytes (%v), sha256 equal %v; want %d bytes, equal", n, err, bytes.Equal(got.Sum(nil), want.Sum(nil)), size)
		}
	})
}

func TestProxyServerSentEventsFlushed(t *testing.T) {
	forEachTransport(t, func(t *testing.T, transport func(*Options)) {
		h := newHarness(t, transport)
		release := make(chan struct{})
		h.route("lab", httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "data: first\n\n")
			w.(http.Flusher).Flush()
			<-release
			_, _ = io.WriteString(w, "data: last\n\n")
		})), store.Route{})
		res := h.get("/notebook/alice/lab/api/events", "alice-secret")
		br := bufio.NewReader(res.Body)
		line, err := br.ReadString('\n')
		close(release) // only after the first event arrived
		if line != "data: first\n" {
			t.Fatalf("first line = %q (%v), want %q", line, err, "data: first\n")
		}
		rest, _ := io.ReadAll(br)
		if want := "\ndata: last\n\n"; string(rest) != want {
			t.Errorf("rest = %q, want %q", rest, want)
		}
	})
}

func TestProxyKeepsUpstreamConnections(t *testing.T) {
	forEachTransport(t, func(t *testing.T, transport func(*Options)) {
		h := newHarness(t, transport)
		backend := remoteBackend(t)
		h.route("lab", backend, store.Route{})
		var seen []string
		for range 3 {
			body, _ := io.ReadAll(h.get("/notebook/alice/lab/", "alice-secret").Body)
			seen = append(seen, string(body))
		}
		if seen[0] != seen[1] || seen[1] != seen[2] {
			t.Errorf("backend saw clients %q, want one connection", seen)
		}
	})
}

// remoteBackend answers every request with the client's address, so that
// tests can tell connections apart.
func remoteBackend(t *testing.T) *httptest.Server {
	return httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.RemoteAddr+"\n")
	}))
}

// forEachTransport runs test with the proxy's default transport (the lean
// HTTP/1.1 client) and with Options.StdTransport.
func forEachTransport(t *testing.T, test func(t *testing.T, transport func(*Options))) {
	for _, tt := range []struct {
		name string
		std  bool
	}{{"lean", false}, {"net/http", true}} {
		t.Run(tt.name, func(t *testing.T) {
			test(t, func(o *Options) { o.StdTransport = tt.std })
		})
	}
}
