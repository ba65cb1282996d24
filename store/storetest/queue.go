package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func testQueue(t *testing.T, newStore NewStore) {
	t.Run("fifo across pools", func(t *testing.T) { testQueueFIFO(t, newStore(t)) })
	t.Run("limits", func(t *testing.T) { testQueueLimits(t, newStore(t)) })
	t.Run("place", func(t *testing.T) { testQueuePlace(t, newStore(t)) })
	t.Run("view", func(t *testing.T) { testQueueView(t, newStore(t)) })
	t.Run("one holder", func(t *testing.T) { testQueueOneHolder(t, newStore(t)) })
	t.Run("expired claims return", func(t *testing.T) { testQueueExpiry(t, newStore(t)) })
	t.Run("release and finish", func(t *testing.T) { testQueueRelease(t, newStore(t)) })
	t.Run("backends apart", func(t *testing.T) { testQueueBackends(t, newStore(t)) })
}

const queueTTL = time.Minute

func qkey(name string) store.Key { return store.Key{Namespace: "alice", Name: name} }

func enqueue(t *testing.T, s store.QueueStore, pool string, names ...string) {
	t.Helper()
	for _, n := range names {
		wantErr(t, "Enqueue "+n, s.Enqueue(t.Context(), store.QueueEntry{Key: qkey(n), Backend: "kube", Pool: pool}), nil)
	}
}

// claimed claims up to n entries and returns their names and pools.
func claimed(t *testing.T, s store.QueueStore, holder string, n int, lim store.QueueLimits, ttl time.Duration) []string {
	t.Helper()
	got, err := s.Claim(t.Context(), "kube", holder, n, lim, ttl)
	wantErr(t, "Claim", err, nil)
	out := make([]string, 0, len(got))
	for _, e := range got {
		if e.Backend != "kube" || e.Key.Namespace != "alice" {
			t.Errorf("Claim returned %+v, want backend kube, namespace alice", e)
		}
		out = append(out, e.Key.Name+"@"+e.Pool)
	}
	return out
}

func wantClaimed(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("%s: claimed %v, want %v", what, got, want)
	}
}

// testQueueFIFO: entries come out in the order they went in, across
// pools, and enqueuing again keeps an entry's place.
func testQueueFIFO(t *testing.T, s store.Store) {
	other := peer(t, s)
	events := subscribe(t, other, store.TopicQueue)
	enqueue(t, s, "cpu", "a")
	wantMsg(t, events, "Enqueue", "kube")
	enqueue(t, s, "gpu", "b")
	enqueue(t, other, "cpu", "c", "a") // a again: keeps its place
	enqueue(t, s, "gpu", "d")
	none := store.QueueLimits{}
	wantClaimed(t, "first claim", claimed(t, other, "r2", 3, none, queueTTL), "a@cpu", "b@gpu", "c@cpu")
	wantClaimed(t, "second claim", claimed(t, s, "r1", 3, none, queueTTL), "d@gpu")
	wantClaimed(t, "empty queue", claimed(t, s, "r1", 3, none, queueTTL))
	enqueue(t, s, "cpu", "a") // claimed: stays claimed
	wantClaimed(t, "enqueue of a claimed entry", claimed(t, s, "r1", 3, none, queueTTL))
}

// testQueueLimits: a full pool lets the next pool's entries pass; a full
// backend stops every pool; a finished start frees its slot.
func testQueueLimits(t *testing.T, s store.Store) {
	ctx := t.Context()
	enqueue(t, s, "cpu", "a", "b", "c")
	enqueue(t, s, "gpu", "g1", "g2")
	lim := store.QueueLimits{Pool: 1, Backend: 2}
	wantClaimed(t, "one per pool", claimed(t, s, "r1", 5, lim, queueTTL), "a@cpu", "g1@gpu")
	wantClaimed(t, "backend full", claimed(t, s, "r1", 5, lim, queueTTL))
	wantErr(t, "Finish g1", s.Finish(ctx, "kube", qkey("g1"), time.Second), nil)
	wantClaimed(t, "gpu slot freed, cpu still full", claimed(t, s, "r1", 5, lim, queueTTL), "g2@gpu")
	wantErr(t, "Finish a", s.Finish(ctx, "kube", qkey("a"), time.Second), nil)
	wantClaimed(t, "cpu slot freed", claimed(t, s, "r1", 5, store.QueueLimits{Pool: 2, Backend: 3}, queueTTL), "b@cpu", "c@cpu")
	wantErr(t, "Finish of a key not queued", s.Finish(ctx, "kube", qkey("nothing"), 0), nil)
}

// testQueuePlace: the position is derived from the queue as it is now,
// and the pool's mean start time from finished starts.
func testQueuePlace(t *testing.T, s store.Store) {
	ctx := t.Context()
	enqueue(t, s, "cpu", "a", "b", "c")
	enqueue(t, s, "gpu", "g")
	wantPlace(t, s, "c", store.QueuePlace{Pool: "cpu", Position: 3})
	wantPlace(t, s, "g", store.QueuePlace{Pool: "gpu", Position: 1})
	wantClaimed(t, "claim", claimed(t, s, "r1", 1, store.QueueLimits{}, queueTTL), "a@cpu")
	wantPlace(t, s, "a", store.QueuePlace{Pool: "cpu", Claimed: true, InFlight: 1})
	wantPlace(t, s, "c", store.QueuePlace{Pool: "cpu", Position: 2, InFlight: 1})
	wantErr(t, "Finish a", s.Finish(ctx, "kube", qkey("a"), 2*time.Second), nil)
	wantErr(t, "Finish b (cancelled)", s.Finish(ctx, "kube", qkey("b"), 0), nil)
	wantPlace(t, s, "c", store.QueuePlace{Pool: "cpu", Position: 1, AvgStart: 2 * time.Second})
	_, err := s.Place(ctx, "kube", qkey("a"))
	wantErr(t, "Place of a finished start", err, store.ErrNotFound)
}

// testQueueView: one read of the whole queue places every entry as Place
// does, an expired claim back in its place included.
func testQueueView(t *testing.T, s store.Store) {
	ctx := t.Context()
	enqueue(t, s, "cpu", "a", "b", "c", "d")
	enqueue(t, s, "gpu", "g", "h")
	wantClaimed(t, "claim", claimed(t, s, "r1", 1, store.QueueLimits{}, queueTTL), "a@cpu")
	wantClaimed(t, "short claim", claimed(t, s, "r2", 1, store.QueueLimits{}, time.Millisecond), "b@cpu")
	wantErr(t, "Finish c", s.Finish(ctx, "kube", qkey("c"), 0), nil)
	time.Sleep(20 * time.Millisecond) // b's claim expires
	v, err := s.View(ctx, "kube")
	wantErr(t, "View", err, nil)
	if v.Len() != 5 {
		t.Errorf("View holds %d entries, want 5 (a, b, d, g, h)", v.Len())
	}
	for _, name := range []string{"a", "b", "c", "d", "g", "h"} {
		got, inView := v.Place(qkey(name))
		want, err := s.Place(ctx, "kube", qkey(name))
		if inQueue := err == nil; inView != inQueue || got != want {
			t.Errorf("View.Place(%s) = %+v, %v; Place = %+v, %v", name, got, inView, want, err)
		}
	}
	if p, _ := v.Place(qkey("b")); p.Position != 1 || p.Claimed {
		t.Errorf("b after its claim expired: %+v, want first in line", p)
	}
	if empty, err := s.View(ctx, "other"); err != nil || empty.Len() != 0 {
		t.Errorf("View of a backend without a queue: %d entries, %v", empty.Len(), err)
	}
}

func wantPlace(t *testing.T, s store.QueueStore, name string, want store.QueuePlace) {
	t.Helper()
	got, err := s.Place(t.Context(), "kube", qkey(name))
	wantErr(t, "Place "+name, err, nil)
	if got != want {
		t.Errorf("Place(%s) = %+v, want %+v", name, got, want)
	}
}

// testQueueOneHolder: many replicas claiming at once never get the same
// entry, and together get every entry.
func testQueueOneHolder(t *testing.T, s store.Store) {
	other := peer(t, s)
	const n = 40
	for i := range n {
		enqueue(t, s, fmt.Sprint("pool", i%3), fmt.Sprint("s", i))
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for r := range 8 {
		wg.Go(func() {
			h := []store.Store{s, other}[r%2]
			holder := fmt.Sprint("r", r)
			for {
				got, err := h.Claim(t.Context(), "kube", holder, 2, store.QueueLimits{}, queueTTL)
				if err != nil || len(got) == 0 {
					wantErr(t, "Claim", err, nil)
					return
				}
				mu.Lock()
				for _, e := range got {
					if prev, ok := seen[e.Key.Name]; ok {
						t.Errorf("%s claimed by %s and %s", e.Key.Name, prev, holder)
					}
					seen[e.Key.Name] = holder
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d entries claimed, want %d", len(seen), n)
	}
}

// testQueueExpiry: a claim its holder stops renewing (the replica died)
// goes back to the head of its pool, where another replica claims it; the
// first holder's renewal then reports it lost.
func testQueueExpiry(t *testing.T, s store.Store) {
	ctx := t.Context()
	other := peer(t, s)
	enqueue(t, s, "cpu", "a", "b")
	short := 300 * time.Millisecond
	wantClaimed(t, "r1 claims", claimed(t, s, "r1", 1, store.QueueLimits{}, short), "a@cpu")
	lost, err := s.Renew(ctx, "kube", "r1", []store.Key{qkey("a")}, short)
	wantErr(t, "Renew", err, nil)
	if len(lost) != 0 {
		t.Errorf("Renew of a live claim lost %v", lost)
	}
	eventually(t, func() error {
		got := claimed(t, other, "r2", 1, store.QueueLimits{Pool: 1}, queueTTL)
		if !slices.Equal(got, []string{"a@cpu"}) {
			if len(got) > 0 {
				return fmt.Errorf("r2 claimed %v before a's claim expired, want a first", got)
			}
			return fmt.Errorf("a's claim has not expired yet")
		}
		return nil
	})
	lost, err = s.Renew(ctx, "kube", "r1", []store.Key{qkey("a")}, short)
	wantErr(t, "Renew after expiry", err, nil)
	if !slices.Equal(lost, []store.Key{qkey("a")}) {
		t.Errorf("Renew by r1 after r2 took a: lost %v, want [a]", lost)
	}
}

// testQueueRelease: a released claim goes back to its place, ahead of
// what came later; a finished one is gone, and its holder's renewal says so.
func testQueueRelease(t *testing.T, s store.Store) {
	ctx := t.Context()
	other := peer(t, s)
	enqueue(t, s, "cpu", "a", "b")
	wantClaimed(t, "claim", claimed(t, s, "r1", 1, store.QueueLimits{}, queueTTL), "a@cpu")
	events := subscribe(t, other, store.TopicQueue)
	wantErr(t, "Release by another holder", other.Release(ctx, "kube", "r2", qkey("a")), nil)
	wantMsg(t, events, "Release", "kube")
	wantPlace(t, s, "a", store.QueuePlace{Pool: "cpu", Claimed: true, InFlight: 1})
	wantErr(t, "Release", s.Release(ctx, "kube", "r1", qkey("a")), nil)
	wantMsg(t, events, "Release", "kube")
	wantPlace(t, s, "a", store.QueuePlace{Pool: "cpu", Position: 1})
	wantClaimed(t, "claim after release", claimed(t, other, "r2", 1, store.QueueLimits{}, queueTTL), "a@cpu")
	wantErr(t, "Finish", s.Finish(ctx, "kube", qkey("a"), time.Second), nil)
	wantMsg(t, events, "Finish", "kube")
	lost, err := other.Renew(ctx, "kube", "r2", []store.Key{qkey("a")}, queueTTL)
	wantErr(t, "Renew of a finished start", err, nil)
	if !slices.Equal(lost, []store.Key{qkey("a")}) {
		t.Errorf("Renew of a finished start: lost %v, want [a]", lost)
	}
	wantErr(t, "Finish of a waiting entry (cancel)", s.Finish(ctx, "kube", qkey("b"), 0), nil)
	wantClaimed(t, "after cancel", claimed(t, s, "r1", 5, store.QueueLimits{}, queueTTL))
}

// testQueueBackends: each backend has its own queue and limits.
func testQueueBackends(t *testing.T, s store.Store) {
	ctx := t.Context()
	enqueue(t, s, "cpu", "a")
	wantErr(t, "Enqueue local", s.Enqueue(ctx, store.QueueEntry{Key: qkey("l"), Backend: "local", Pool: "cpu"}), nil)
	wantClaimed(t, "kube", claimed(t, s, "r1", 5, store.QueueLimits{Backend: 1}, queueTTL), "a@cpu")
	got, err := s.Claim(ctx, "local", "r1", 5, store.QueueLimits{Backend: 1}, queueTTL)
	wantErr(t, "Claim local", err, nil)
	if len(got) != 1 || got[0].Key != qkey("l") || got[0].Backend != "local" {
		t.Errorf("Claim local = %+v, want l alone", got)
	}
}
