package spawner

import (
	"context"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// run takes ns/name through a run from start to stop (zero: still running).
func run(t *testing.T, st store.Store, ns, name string, spec store.Spec, start, stop time.Time) {
	t.Helper()
	ctx := context.Background()
	srv, err := st.GetServer(ctx, ns, name)
	if err != nil {
		srv, err = st.CreateServer(ctx, store.Server{Namespace: ns, Name: name, Phase: store.PhaseStopped, Spec: spec, CreatedAt: start})
	}
	if err != nil {
		t.Fatal(err)
	}
	srv.Phase, srv.StartedAt, srv.UpdatedAt = store.PhaseRunning, start, start
	if srv, err = st.UpdateServer(ctx, srv); err != nil {
		t.Fatal(err)
	}
	if stop.IsZero() {
		return
	}
	srv.Phase, srv.StoppedAt, srv.UpdatedAt = store.PhaseStopped, stop, stop
	if _, err = st.UpdateServer(ctx, srv); err != nil {
		t.Fatal(err)
	}
}

func TestConsoleUsageHours(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	big := store.Spec{Image: "jupyter", Kind: "jupyter", CPU: "2", Memory: "4Gi", GPUs: 1}
	small := store.Spec{Image: "rstudio", Kind: "rstudio", CPU: "500m", Memory: "1Gi"}
	for name, newStore := range map[string]func(testing.TB) store.Store{"memory": newMemoryStore, "redis": newRedisStore} {
		t.Run(name, func(t *testing.T) {
			st := newStore(t)
			run(t, st, "alice", "lab", big, day(1, 10), day(1, 12))             // 2 h in the period
			run(t, st, "alice", "lab", big, day(2, 9), time.Time{})             // running: 3 h up to now
			run(t, st, "bob", "r", small, day(1, 0).Add(-time.Hour), day(1, 1)) // 1 h of 2 in the period
			run(t, st, "bob", "old", small, day(1, 0).Add(-5*time.Hour), day(1, 0).Add(-4*time.Hour))
			c := NewConsole(st, &storeStopper{st: st}, func() time.Time { return day(2, 12) })
			u, err := c.Usage(t.Context(), day(1, 0), day(3, 0))
			if err != nil {
				t.Fatal(err)
			}
			wantNS := []UsageRow{
				{Name: "alice", Runs: 2, CPUHours: 10, MemoryGiBHours: 20, GPUHours: 5},
				{Name: "bob", Runs: 1, CPUHours: 0.5, MemoryGiBHours: 1},
			}
			wantImage := []UsageRow{
				{Name: "jupyter", Runs: 2, CPUHours: 10, MemoryGiBHours: 20, GPUHours: 5},
				{Name: "rstudio", Runs: 1, CPUHours: 0.5, MemoryGiBHours: 1},
			}
			wantTotal := UsageRow{Name: "total", Runs: 3, CPUHours: 10.5, MemoryGiBHours: 21, GPUHours: 5}
			if !equalRows(u.ByNamespace, wantNS) || !equalRows(u.ByImage, wantImage) || u.Total != wantTotal {
				t.Errorf("usage = %+v\nwant by namespace %+v, by image %+v, total %+v", u, wantNS, wantImage, wantTotal)
			}
			u, err = c.Usage(t.Context(), day(1, 11), day(2, 10))
			if err != nil {
				t.Fatal(err)
			}
			want := UsageRow{Name: "total", Runs: 2, CPUHours: 4, MemoryGiBHours: 8, GPUHours: 2} // 1 h + 1 h of lab
			if u.Total != want {
				t.Errorf("usage from 11:00 to 10:00 the next day = %+v, want %+v", u.Total, want)
			}
		})
	}
}

func equalRows(a, b []UsageRow) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
