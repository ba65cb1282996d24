package h1

import (
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// ackRecorder is a connection that records what the Transport asks of its
// ACKs.
type ackRecorder struct {
	net.Conn
	mu    sync.Mutex
	calls []bool
}

func (c *ackRecorder) AckReads(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, on)
}

func (c *ackRecorder) got() []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// TestLeanTransportAcksOnlyWhileBodyToCome: a connection that can
// acknowledge at once does so only for a response whose body has not
// arrived with its header (a stream), and is held again once back in the
// pool; a small response read whole never turns it on.
func TestLeanTransportAcksOnlyWhileBodyToCome(t *testing.T) {
	srv := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first")
		if r.URL.Path == "/stream" {
			w.(http.Flusher).Flush() // chunked: no length to tell the body has all come
			_, _ = io.WriteString(w, " then more")
		}
	}))
	var conn *ackRecorder
	d := &net.Dialer{Timeout: 10 * time.Second}
	lt := New(Options{Other: http.DefaultTransport, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		conn = &ackRecorder{Conn: nc}
		return conn, nil
	}})
	t.Cleanup(lt.CloseIdleConnections)

	if got := do(t, lt, http.MethodGet, srv.URL+"/small", false); got != "first" {
		t.Fatalf("small body = %q", got)
	}
	if got, want := conn.got(), []bool{false, false, false}; !slices.Equal(got, want) {
		t.Fatalf("small response: AckReads calls %v, want %v (held when dialled, after the header, back in the pool)", got, want)
	}
	if got := do(t, lt, http.MethodGet, srv.URL+"/stream", false); got != "first then more" {
		t.Fatalf("streamed body = %q", got)
	}
	if got, want := conn.got()[3:], []bool{true, false}; !slices.Equal(got, want) {
		t.Fatalf("streamed response: AckReads calls %v, want %v (on after the header, held back in the pool)", got, want)
	}
}
