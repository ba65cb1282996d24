package spawner

import (
	"slices"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func TestConsoleStopDryRunChangesNothing(t *testing.T) {
	st := newRedisStore(t)
	seedFleet(t, st, 300)
	stopper := &storeStopper{st: st}
	c := NewConsole(st, stopper, func() time.Time { return consoleT0 })
	f := ServerFilter{IdleFor: Duration(2 * time.Hour)}
	want, _ := expected(300, f, SortName)
	before, err := st.ListServers(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	preview, err := c.StopServers(t.Context(), StopRequest{Filter: &f, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := resultKeys(preview); !slices.Equal(got, want) {
		t.Fatalf("dry run lists %d servers, want %d: %v", len(got), len(want), head(got))
	}
	after, err := st.ListServers(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if stopper.stops.Load() != 0 || !slices.EqualFunc(before, after, func(a, b store.Server) bool { return a.Version == b.Version }) {
		t.Fatalf("the dry run changed records (%d stops)", stopper.stops.Load())
	}

	done, err := c.StopServers(t.Context(), StopRequest{Filter: &f})
	if err != nil {
		t.Fatal(err)
	}
	if got := resultKeys(done); !slices.Equal(got, want) {
		t.Fatalf("stop reports %d servers, want %d", len(got), len(want))
	}
	for _, r := range done {
		if !r.Stopped || r.Phase != store.PhaseStopped || r.Error != "" {
			t.Errorf("result %+v, want stopped", r)
		}
	}
	page, err := c.Servers(t.Context(), ServerQuery{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 0 || page.Totals.Servers != 0 {
		t.Errorf("after the stop the filter still matches %d servers (totals %+v)", len(page.Items), page.Totals)
	}
}

func TestConsoleStopList(t *testing.T) {
	st := newMemoryStore(t)
	seedFleet(t, st, 20)
	c := NewConsole(st, &storeStopper{st: st}, func() time.Time { return consoleT0 })
	keys := []store.Key{{Namespace: "ns-0000", Name: "srv-00001"}, {Namespace: "ns-0000", Name: "nope"}, {Namespace: "ns-0000", Name: "srv-00003"}}
	res, err := c.StopServers(t.Context(), StopRequest{Servers: keys})
	if err != nil {
		t.Fatal(err)
	}
	want := []StopResult{
		{Key: keys[0], Phase: store.PhaseStopped, Stopped: true},
		{Key: keys[1], Error: store.ErrNotFound.Error()},
		{Key: keys[2], Phase: store.PhaseStopped, Stopped: false}, // already stopped: nothing to do
	}
	for i := range want {
		got := res[i]
		got.Err = nil
		if got != want[i] {
			t.Errorf("result %d = %+v, want %+v", i, got, want[i])
		}
	}
}

func resultKeys(rs []StopResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Key.String()
	}
	return out
}
