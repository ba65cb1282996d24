package web

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// subscribeCounter counts the subscriptions made to a real memory store.
type subscribeCounter struct {
	*memory.Store
	subs atomic.Int64
}

func (c *subscribeCounter) Subscribe(ctx context.Context, topic string) (<-chan string, error) {
	c.subs.Add(1)
	return c.Store.Subscribe(ctx, topic)
}

func signalled(ch <-chan struct{}, within time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(within):
		return false
	}
}

// TestServerChangesWakeOnlyTheirPage: many progress streams share one
// subscription; a server's change wakes the streams of that server only.
func TestServerChangesWakeOnlyTheirPage(t *testing.T) {
	st := &subscribeCounter{Store: memory.New()}
	t.Cleanup(func() { st.Close() })
	c := newServerChanges(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(t.Context())
	alice, bob := store.Key{Namespace: "alice", Name: "lab"}, store.Key{Namespace: "bob", Name: "lab"}
	a1 := c.watch(ctx, alice)
	if !signalled(a1, 5*time.Second) {
		t.Fatal("the first stream missed the resync of the subscription")
	}
	a2, b1 := c.watch(ctx, alice), c.watch(ctx, bob) // they read after watching: no resync needed
	if _, err := st.CreateServer(t.Context(), store.Server{Namespace: "alice", Name: "lab", Phase: store.PhaseQueued}); err != nil {
		t.Fatal(err)
	}
	if !signalled(a1, 5*time.Second) || !signalled(a2, 5*time.Second) {
		t.Error("alice's streams were not woken by her server's change")
	}
	if err := st.AppendEvent(t.Context(), alice, store.Event{Time: time.Now(), Reason: "Pulling"}); err != nil {
		t.Fatal(err)
	}
	if !signalled(a1, 5*time.Second) {
		t.Error("alice's stream was not woken by her server's new event")
	}
	if signalled(b1, 100*time.Millisecond) {
		t.Error("bob's stream was woken by alice's server")
	}
	if n := st.subs.Load(); n != 1 {
		t.Errorf("%d subscriptions for three streams, want 1", n)
	}
	cancel()
	time.Sleep(50 * time.Millisecond) // the watches leave
	c.mu.Lock()
	left := c.n
	c.mu.Unlock()
	if left != 0 {
		t.Errorf("%d watches left after every stream ended", left)
	}
}
