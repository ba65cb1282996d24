package spawner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
	"github.com/spawnhub/spawnhub/store/redis"
	"github.com/spawnhub/spawnhub/test/redisenv"
)

// consoleT0 is "now" in the console tests.
var consoleT0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// fleetServer is server i of a seeded fleet: 10 per namespace, owners
// user-0…user-4, a third stopped, jupyter and rstudio in turn, every 7th
// with a GPU; running ones idle (i % 180) minutes.
func fleetServer(i int) (store.Server, time.Time) {
	img, kind := "jupyter", "jupyter"
	if i%2 == 1 {
		img, kind = "rstudio", "rstudio"
	}
	s := store.Server{
		Namespace: fmt.Sprintf("ns-%04d", i/10), Name: fmt.Sprintf("srv-%05d", i), Phase: store.PhaseStopped,
		Spec:      store.Spec{Image: img, Kind: kind, CPU: "500m", Memory: "1Gi"},
		CreatedAt: consoleT0.Add(-48 * time.Hour), UpdatedAt: consoleT0.Add(-48 * time.Hour),
	}
	if i%7 == 0 {
		s.Spec.GPUs = 1
	}
	if i%3 == 0 {
		return s, time.Time{}
	}
	s.Phase, s.StartedAt = store.PhaseRunning, consoleT0.Add(-time.Duration(i)*time.Second)
	return s, consoleT0.Add(-time.Duration(i%180) * time.Minute)
}

func fleetOwner(ns int) string { return fmt.Sprintf("user-%d", ns%5) }

// seedFleet creates n servers (and their namespaces) in st.
func seedFleet(tb testing.TB, st store.Store, n int) {
	tb.Helper()
	ctx := context.Background()
	for ns := 0; ns*10 < n; ns++ {
		if _, err := st.CreateNamespace(ctx, store.Namespace{Name: fmt.Sprintf("ns-%04d", ns), Owner: fleetOwner(ns)}); err != nil {
			tb.Fatal(err)
		}
	}
	marks := map[store.Key]time.Time{}
	for i := range n {
		want, active := fleetServer(i)
		created := want
		created.Phase, created.StartedAt = store.PhaseStopped, time.Time{}
		srv, err := st.CreateServer(ctx, created)
		if err != nil {
			tb.Fatal(err)
		}
		if want.Phase == store.PhaseRunning {
			want.Version = srv.Version
			if _, err := st.UpdateServer(ctx, want); err != nil {
				tb.Fatal(err)
			}
			marks[want.Key()] = active
		}
	}
	if err := st.MarkActivity(ctx, marks); err != nil {
		tb.Fatal(err)
	}
}

// storeStopper stops a server by writing its record Stopped, as the
// manager does once the backend has stopped it.
type storeStopper struct {
	st    store.Store
	stops atomic.Int64 // StopServers stops several at once
}

func (s *storeStopper) Get(ctx context.Context, ns, name string) (store.Server, error) {
	return s.st.GetServer(ctx, ns, name)
}

func (s *storeStopper) Stop(ctx context.Context, ns, name string) (store.Server, error) {
	s.stops.Add(1)
	srv, err := s.st.GetServer(ctx, ns, name)
	if err != nil {
		return srv, err
	}
	srv.Phase, srv.StoppedAt, srv.UpdatedAt = store.PhaseStopped, consoleT0, consoleT0
	if srv, err = s.st.UpdateServer(ctx, srv); err != nil {
		return srv, err
	}
	return srv, s.st.ClearActivity(ctx, srv.Key())
}

func newRedisStore(tb testing.TB) store.Store {
	addr := redisenv.Start(tb)
	st, err := redis.New(context.Background(), redis.Options{Addrs: []string{addr}, Prefix: "console:"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

func newMemoryStore(tb testing.TB) store.Store {
	st := memory.New()
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

// expected is what a filter and sort should list from a fleet of n, found
// the slow way: every server, one by one.
func expected(n int, f ServerFilter, sort string) ([]string, Totals) {
	type row struct {
		key    string
		active time.Time
		start  time.Time
	}
	var rows []row
	var t Totals
	for i := range n {
		s, active := fleetServer(i)
		ok := (f.Namespace == "" || s.Namespace == f.Namespace) &&
			(f.Owner == "" || fleetOwner(i/10) == f.Owner) &&
			(f.Image == "" || s.Spec.Image == f.Image) && (f.Phase == "" || s.Phase == f.Phase) &&
			(f.GPU == nil || (s.Spec.GPUs > 0) == *f.GPU) &&
			(f.IdleFor == 0 || (s.Phase == store.PhaseRunning && active.Before(consoleT0.Add(-time.Duration(f.IdleFor)))))
		if !ok || (strings.HasSuffix(sort, SortIdle) && s.Phase != store.PhaseRunning) {
			continue
		}
		rows = append(rows, row{s.Key().String(), active, s.StartedAt})
		t.add(store.SummaryOf(s).Bucket())
	}
	slices.SortFunc(rows, func(a, b row) int {
		switch strings.TrimPrefix(sort, "-") {
		case SortIdle:
			if c := a.active.Compare(b.active); c != 0 {
				return c
			}
		case SortStarted:
			if c := a.start.Compare(b.start); c != 0 {
				return c
			}
		}
		return strings.Compare(a.key, b.key)
	})
	if strings.HasPrefix(sort, "-") {
		slices.Reverse(rows)
	}
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.key
	}
	return keys, t
}

// listAll pages through a query and returns the keys and the first totals.
func listAll(t *testing.T, c *Console, q ServerQuery) ([]string, Totals) {
	t.Helper()
	var keys []string
	var totals Totals
	for pages := 0; ; pages++ {
		page, err := c.Servers(t.Context(), q)
		if err != nil {
			t.Fatalf("Servers(%+v): %v", q, err)
		}
		if pages == 0 {
			totals = page.Totals
		} else if page.Totals != totals {
			t.Fatalf("totals changed between pages: %+v then %+v", totals, page.Totals)
		}
		for _, it := range page.Items {
			keys = append(keys, it.Key.String())
		}
		if page.Next == "" || pages > 20000 {
			return keys, totals
		}
		q.Cursor = page.Next
	}
}

func TestConsoleFiltersSortAndPaging(t *testing.T) {
	yes, no := true, false
	for _, backend := range []struct {
		name string
		st   func(testing.TB) store.Store
		n    int
	}{
		{"memory", newMemoryStore, 2000},
		{"redis", newRedisStore, 10000},
	} {
		t.Run(fmt.Sprintf("%s %d servers", backend.name, backend.n), func(t *testing.T) {
			st := backend.st(t)
			seedFleet(t, st, backend.n)
			c := NewConsole(st, &storeStopper{st: st}, func() time.Time { return consoleT0 })
			for _, tt := range []struct {
				name   string
				filter ServerFilter
				sort   string
				limit  int
			}{
				{"everything by name", ServerFilter{}, "", 500},
				{"idle > 1h, longest first", ServerFilter{IdleFor: Duration(time.Hour)}, SortIdle, 100},
				{"idle > 2h with GPU, newest start first", ServerFilter{IdleFor: Duration(2 * time.Hour), GPU: &yes}, "-" + SortStarted, 37},
				{"rstudio of user-3 without GPU, by name desc", ServerFilter{Image: "rstudio", Owner: "user-3", GPU: &no}, "-" + SortName, 50},
				{"stopped in one namespace", ServerFilter{Namespace: "ns-0007", Phase: store.PhaseStopped}, SortStarted, 2},
				{"running, least idle first", ServerFilter{Phase: store.PhaseRunning}, "-" + SortIdle, 333},
			} {
				t.Run(tt.name, func(t *testing.T) {
					got, totals := listAll(t, c, ServerQuery{Filter: tt.filter, Sort: tt.sort, Limit: tt.limit})
					want, wantTotals := expected(backend.n, tt.filter, tt.sort)
					if !slices.Equal(got, want) {
						t.Errorf("listed %d servers, want %d; first %v, want %v", len(got), len(want), head(got), head(want))
					}
					if totals != wantTotals {
						t.Errorf("totals %+v, want %+v", totals, wantTotals)
					}
				})
			}
		})
	}
}

func head(s []string) []string { return s[:min(5, len(s))] }
