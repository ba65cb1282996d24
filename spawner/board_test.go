package spawner

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// viewCounter counts the whole-queue reads of a real memory store.
type viewCounter struct {
	*memory.Store
	views atomic.Int64
}

func (c *viewCounter) View(ctx context.Context, backend string) (store.QueueView, error) {
	c.views.Add(1)
	return c.Store.View(ctx, backend)
}

// TestQueueViewSharedByFollowers: fifty pages following queued servers
// see every move of the queue, with places as Get gives them, for one
// read of the queue per move (at most one a second), not one per page.
func TestQueueViewSharedByFollowers(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConcurrentStarts = 1
	st, b := &viewCounter{Store: memory.New()}, newFake()
	t.Cleanup(func() { st.Close() })
	m := NewManager(st, b, cfg, WithOwner("r1"), withFakeCapabilities(b), WithTicks(make(chan time.Time)),
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	m.board.every = 10 * time.Millisecond
	runCtx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })

	fx := &fixture{m: m, st: st.Store, b: b}
	fx.create(t, "a")
	<-b.started
	fx.create(t, "b")
	fx.create(t, "c")

	const pages = 50
	watches := make([]<-chan struct{}, pages)
	for i := range watches {
		watches[i] = m.WatchQueue(t.Context())
	}
	waitAll := func(what string) {
		t.Helper()
		var wg sync.WaitGroup
		for _, w := range watches {
			wg.Go(func() {
				select {
				case <-w:
				case <-time.After(10 * time.Second):
					t.Errorf("%s: a page was not told the queue moved", what)
				}
			})
		}
		wg.Wait()
	}
	wantPlace := func(name string) {
		t.Helper()
		rec, err := st.GetServer(t.Context(), "ns", name)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.InQueueView(rec).Message, fx.get(t, name).Message; got != want {
			t.Errorf("%s in the view: %q, want %q as Get says", name, got, want)
		}
	}
	waitAll("first watch")
	wantPlace("b")
	wantPlace("c")
	before := st.views.Load()

	b.release <- nil // a runs, b starts, c moves up
	<-b.started
	waitAll("after a started")
	wantPlace("c")
	if got := fx.get(t, "c").Message; got != "waiting for 1 server ahead" {
		t.Errorf("c after a started: %q", got)
	}
	if reads := st.views.Load() - before; reads < 1 || reads > 4 {
		t.Errorf("%d reads of the queue for one move and %d pages, want 1 to 4 (one per move)", reads, pages)
	}
	b.release <- nil
	<-b.started
	b.release <- nil
	fx.settle()
}

// TestInQueueViewLeavesOthersAlone: a server that is not Queued, or not in
// the view yet, is shown as it is.
func TestInQueueViewLeavesOthersAlone(t *testing.T) {
	fx := newFixture(t, 1)
	srv := fx.running(t, "lab")
	if got := fx.m.InQueueView(srv); got.Message != srv.Message {
		t.Errorf("running server in the view: %q, want %q", got.Message, srv.Message)
	}
	queued := store.Server{Namespace: "ns", Name: "new", Phase: store.PhaseQueued, Message: "queued"}
	if got := fx.m.InQueueView(queued); got.Message != "queued" {
		t.Errorf("server missing from the view: %q, want its own message", got.Message)
	}
}
