package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func testAdminIndex(t *testing.T, newStore NewStore) {
	t.Run("orders and cursors", func(t *testing.T) { testScanOrders(t, newStore(t)) })
	t.Run("activity order", func(t *testing.T) { testScanActivity(t, newStore(t)) })
	t.Run("buckets", func(t *testing.T) { testBuckets(t, newStore(t)) })
	t.Run("runs", func(t *testing.T) { testRuns(t, newStore(t)) })
	t.Run("one namespace and owners", func(t *testing.T) { testScanNamespace(t, newStore(t)) })
}

func testScanNamespace(t *testing.T, s store.Store) {
	for _, k := range []string{"bob/b", "bob/a", "bob-x/a", "bobby/a", "bo/a", "bob/c"} {
		key, _ := store.ParseKey(k)
		indexed(t, s, key.Namespace, key.Name, time.Time{})
	}
	for _, desc := range []bool{false, true} {
		want := []string{"bob/a", "bob/b", "bob/c"}
		if desc {
			slices.Reverse(want)
		}
		for _, count := range []int{1, 2, 10} {
			got := scanAll(t, s, store.Scan{Order: store.OrderName, Namespace: "bob", Desc: desc, Count: count})
			if !slices.Equal(got, want) {
				t.Errorf("scan of namespace bob desc=%v count %d = %v, want %v", desc, count, got, want)
			}
		}
	}
	for _, ns := range []string{"bob", "bobby"} {
		_, err := s.CreateNamespace(t.Context(), store.Namespace{Name: ns, Owner: ns + "@example.org"})
		wantErr(t, "CreateNamespace", err, nil)
	}
	owners, err := s.Owners(t.Context(), []string{"bob", "bobby", "nope"})
	wantErr(t, "Owners", err, nil)
	if len(owners) != 2 || owners["bob"] != "bob@example.org" || owners["bobby"] != "bobby@example.org" {
		t.Errorf("Owners = %v, want bob's and bobby's", owners)
	}
}

// indexed creates ns/name and, when start is not zero, takes it to
// Running since start.
func indexed(t *testing.T, s store.Store, ns, name string, start time.Time) store.Server {
	t.Helper()
	srv, err := s.CreateServer(t.Context(), server(ns, name))
	wantErr(t, "CreateServer", err, nil)
	if start.IsZero() {
		return srv
	}
	srv.Phase, srv.StartedAt, srv.UpdatedAt = store.PhaseRunning, start, start
	srv, err = s.UpdateServer(t.Context(), srv)
	wantErr(t, "UpdateServer", err, nil)
	return srv
}

// scanAll pages through an order count at a time and returns the keys.
func scanAll(t *testing.T, s store.Store, req store.Scan) []string {
	t.Helper()
	var keys []string
	for range 100 {
		page, err := s.ScanServers(t.Context(), req)
		wantErr(t, "ScanServers", err, nil)
		for _, sum := range page {
			keys = append(keys, sum.Key.String())
		}
		if len(page) < req.Count {
			return keys
		}
		req.After = page[len(page)-1].Cursor
	}
	t.Fatalf("ScanServers(%+v) never ends", req)
	return nil
}

func testScanOrders(t *testing.T, s store.Store) {
	indexed(t, s, "bob", "b", ms(30))
	indexed(t, s, "alice", "c", ms(10))
	indexed(t, s, "alice", "a", time.Time{})
	indexed(t, s, "bob", "a", ms(10))
	gone := indexed(t, s, "carol", "x", ms(5))
	wantErr(t, "DeleteServer", s.DeleteServer(t.Context(), "carol", "x", gone.Version), nil)
	for _, tt := range []struct {
		order store.Order
		desc  bool
		want  []string
	}{
		{store.OrderName, false, []string{"alice/a", "alice/c", "bob/a", "bob/b"}},
		{store.OrderName, true, []string{"bob/b", "bob/a", "alice/c", "alice/a"}},
		{store.OrderStarted, false, []string{"alice/a", "alice/c", "bob/a", "bob/b"}},
		{store.OrderStarted, true, []string{"bob/b", "bob/a", "alice/c", "alice/a"}},
	} {
		for _, count := range []int{1, 3, 10} {
			got := scanAll(t, s, store.Scan{Order: tt.order, Desc: tt.desc, Count: count})
			if !slices.Equal(got, tt.want) {
				t.Errorf("scan by %s desc=%v count %d = %v, want %v", tt.order, tt.desc, count, got, tt.want)
			}
		}
	}
	page, err := s.ScanServers(t.Context(), store.Scan{Order: store.OrderName, Count: 1})
	wantErr(t, "ScanServers", err, nil)
	want := store.Summary{Key: store.Key{Namespace: "alice", Name: "a"}, Image: "jupyter", Kind: "jupyter",
		Phase: store.PhaseStopped, CPUMilli: 1000, CreatedAt: ms(0), Version: 1}
	if len(page) != 1 || !equalSummary(page[0], want) {
		t.Errorf("first summary = %+v, want %+v", page, want)
	}
}

func equalSummary(a, b store.Summary) bool {
	a.Cursor, b.Cursor = "", ""
	return a.Key == b.Key && a.Image == b.Image && a.Kind == b.Kind && a.Phase == b.Phase &&
		a.CPUMilli == b.CPUMilli && a.MemoryBytes == b.MemoryBytes && a.GPUs == b.GPUs &&
		a.CreatedAt.Equal(b.CreatedAt) && a.StartedAt.Equal(b.StartedAt) && a.CullAt.Equal(b.CullAt) &&
		a.Version == b.Version
}

func testScanActivity(t *testing.T, s store.Store) {
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		indexed(t, s, "ns", n, ms(1))
	}
	marks := map[store.Key]time.Time{
		{Namespace: "ns", Name: "a"}: ms(20), {Namespace: "ns", Name: "b"}: ms(10),
		{Namespace: "ns", Name: "c"}: ms(10), {Namespace: "ns", Name: "d"}: ms(10),
	}
	wantErr(t, "MarkActivity", s.MarkActivity(t.Context(), marks), nil)
	for _, tt := range []struct {
		desc   bool
		before time.Time
		want   []string
	}{
		{false, time.Time{}, []string{"ns/b", "ns/c", "ns/d", "ns/a"}},
		{true, time.Time{}, []string{"ns/a", "ns/d", "ns/c", "ns/b"}},
		{false, ms(20), []string{"ns/b", "ns/c", "ns/d"}},
		{false, ms(10), nil},
	} {
		for _, count := range []int{1, 2, 10} {
			got := scanAll(t, s, store.Scan{Order: store.OrderActivity, Desc: tt.desc, ActiveBefore: tt.before, Count: count})
			if !slices.Equal(got, tt.want) {
				t.Errorf("scan by activity desc=%v before %v count %d = %v, want %v", tt.desc, tt.before, count, got, tt.want)
			}
		}
	}
}

func testBuckets(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := server("alice", "gpu")
	a.Spec.GPUs, a.Spec.Memory = 2, "4Gi"
	created, err := s.CreateServer(ctx, a)
	wantErr(t, "CreateServer", err, nil)
	indexed(t, s, "alice", "one", time.Time{})
	indexed(t, s, "alice", "two", time.Time{})
	indexed(t, s, "bob", "lab", ms(1))
	created.Phase, created.StartedAt = store.PhaseRunning, ms(2)
	_, err = s.UpdateServer(ctx, created)
	wantErr(t, "UpdateServer", err, nil)
	want := []store.Bucket{
		{Namespace: "alice", Phase: store.PhaseRunning, Kind: "jupyter", Image: "jupyter", GPU: true, Servers: 1, CPUMilli: 1000, MemoryBytes: 4 << 30, GPUs: 2},
		{Namespace: "alice", Phase: store.PhaseStopped, Kind: "jupyter", Image: "jupyter", Servers: 2, CPUMilli: 2000},
		{Namespace: "bob", Phase: store.PhaseRunning, Kind: "jupyter", Image: "jupyter", Servers: 1, CPUMilli: 1000},
	}
	checkBuckets(t, s, "after updates", []string{"alice", "bob", "carol"}, want)
	checkBuckets(t, s, "of the fleet", nil, []store.Bucket{
		{Phase: store.PhaseRunning, Kind: "jupyter", Image: "jupyter", GPU: true, Servers: 1, CPUMilli: 1000, MemoryBytes: 4 << 30, GPUs: 2},
		{Phase: store.PhaseRunning, Kind: "jupyter", Image: "jupyter", Servers: 1, CPUMilli: 1000},
		{Phase: store.PhaseStopped, Kind: "jupyter", Image: "jupyter", Servers: 2, CPUMilli: 2000},
	})
	two, err := s.GetServer(ctx, "alice", "two")
	wantErr(t, "GetServer", err, nil)
	wantErr(t, "DeleteServer", s.DeleteServer(ctx, "alice", "two", two.Version), nil)
	want[1].Servers, want[1].CPUMilli = 1, 1000
	checkBuckets(t, s, "after a delete", []string{"alice", "bob"}, want)
	checkBuckets(t, s, "of bob", []string{"bob"}, want[2:])
}

func checkBuckets(t *testing.T, s store.Store, when string, namespaces []string, want []store.Bucket) {
	t.Helper()
	got, err := s.Buckets(t.Context(), namespaces)
	wantErr(t, "Buckets", err, nil)
	key := func(b store.Bucket) string {
		return fmt.Sprintf("%s %s %v", b.Namespace, b.Phase, !b.GPU)
	}
	slices.SortFunc(got, func(a, b store.Bucket) int { return compareStrings(key(a), key(b)) })
	if !slices.Equal(got, want) {
		t.Errorf("Buckets %s = %+v, want %+v", when, got, want)
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testRuns(t *testing.T, s store.Store) {
	ctx := t.Context()
	srv := indexed(t, s, "alice", "lab", ms(100))
	srv.Phase, srv.StoppedAt, srv.UpdatedAt = store.PhaseStopped, ms(400), ms(400)
	srv, err := s.UpdateServer(ctx, srv)
	wantErr(t, "UpdateServer", err, nil)
	srv.Phase, srv.StartedAt, srv.UpdatedAt = store.PhaseRunning, ms(1000), ms(1000)
	_, err = s.UpdateServer(ctx, srv)
	wantErr(t, "UpdateServer", err, nil)
	indexed(t, s, "bob", "lab", time.Time{})
	run := func(start, end time.Time) store.Run {
		return store.Run{Key: srv.Key(), Image: "jupyter", CPUMilli: 1000, Start: start, End: end}
	}
	for _, tt := range []struct {
		name     string
		from, to time.Time
		want     []store.Run
	}{
		{"both", ms(0), ms(2000), []store.Run{run(ms(100), ms(400)), run(ms(1000), time.Time{})}},
		{"the first only", ms(0), ms(1000), []store.Run{run(ms(100), ms(400))}},
		{"the running one", ms(400), ms(5000), []store.Run{run(ms(1000), time.Time{})}},
		{"before", ms(0), ms(100), nil},
	} {
		got, err := s.Runs(ctx, tt.from, tt.to)
		wantErr(t, "Runs", err, nil)
		slices.SortFunc(got, func(a, b store.Run) int { return a.Start.Compare(b.Start) })
		if !equalRuns(got, tt.want) {
			t.Errorf("Runs %s = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func equalRuns(a, b []store.Run) bool {
	return slices.EqualFunc(a, b, func(x, y store.Run) bool {
		return x.Key == y.Key && x.Image == y.Image && x.CPUMilli == y.CPUMilli && x.MemoryBytes == y.MemoryBytes &&
			x.GPUs == y.GPUs && x.Start.Equal(y.Start) && x.End.Equal(y.End)
	})
}
