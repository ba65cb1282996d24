package spawner

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// readCounter counts the record reads of a real memory store.
type readCounter struct {
	*memory.Store
	lists, gets atomic.Int64
}

func (c *readCounter) ListServers(ctx context.Context, ns string) ([]store.Server, error) {
	c.lists.Add(1)
	return c.Store.ListServers(ctx, ns)
}

func (c *readCounter) GetServer(ctx context.Context, ns, name string) (store.Server, error) {
	c.gets.Add(1)
	return c.Store.GetServer(ctx, ns, name)
}

// TestRecordsReadOnlyWhatChanged: with the change feed followed, a pass
// reads the records named by the feed and keeps the others; without it,
// after a resync and every recordsFullEvery, it reads them all.
func TestRecordsReadOnlyWhatChanged(t *testing.T) {
	st := &readCounter{Store: memory.New()}
	t.Cleanup(func() { st.Close() })
	ctx := t.Context()
	create := func(name string) store.Server {
		t.Helper()
		s, err := st.CreateServer(ctx, store.Server{Namespace: "ns", Name: name, Phase: store.PhaseRunning})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, n := range []string{"a", "b", "c"} {
		create(n)
	}
	r, now := newRecords(), time.Now()
	pass := func(what string, lists, gets int64, names ...string) {
		t.Helper()
		st.lists.Store(0)
		st.gets.Store(0)
		srvs, err := r.list(ctx, st, now)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range srvs {
			got = append(got, s.Name)
		}
		if !slices.Equal(got, names) {
			t.Errorf("%s: servers %v, want %v", what, got, names)
		}
		if l, g := st.lists.Load(), st.gets.Load(); l != lists || g != gets {
			t.Errorf("%s: %d lists and %d reads, want %d and %d", what, l, g, lists, gets)
		}
	}
	pass("no feed yet", 1, 0, "a", "b", "c")
	r.changed("") // the feed starts
	pass("first pass with the feed", 1, 0, "a", "b", "c")
	pass("nothing changed", 0, 0, "a", "b", "c")

	create("d")
	b, _ := st.GetServer(ctx, "ns", "b")
	b.Phase = store.PhaseStopped
	if _, err := st.UpdateServer(ctx, b); err != nil {
		t.Fatal(err)
	}
	a, _ := st.GetServer(ctx, "ns", "a")
	if err := st.DeleteServer(ctx, "ns", "a", a.Version); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ns/d", "ns/b", "ns/a", "ns/b"} {
		r.changed(k)
	}
	pass("three changed", 0, 3, "b", "c", "d")
	if srvs, _ := r.list(ctx, st, now); srvs[0].Phase != store.PhaseStopped {
		t.Errorf("b in the copy: %s, want its new phase", srvs[0].Phase)
	}

	r.unfed()
	pass("feed broken", 1, 0, "b", "c", "d")
	r.changed("")
	pass("resync", 1, 0, "b", "c", "d")
	pass("quiet again", 0, 0, "b", "c", "d")
	now = now.Add(recordsFullEvery)
	pass("safety net", 1, 0, "b", "c", "d")
}
