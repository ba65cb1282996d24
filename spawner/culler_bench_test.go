package spawner

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// BenchmarkCullSweep finds the idle servers among 10,000 and 100,000
// running ones (1% idle, the rest active a minute ago) and decides them,
// as a dry run: the cost of one sweep, and how it grows with the number of
// records (see ns/op of both sizes in the same run).
func BenchmarkCullSweep(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) {
			now := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
			st := memory.NewWithClock(func() time.Time { return now })
			defer st.Close()
			marks := make(map[store.Key]time.Time, n)
			for i := range n {
				srv := store.Server{Namespace: fmt.Sprintf("ns%d", i%1000), Name: fmt.Sprintf("s%d", i), Phase: store.PhaseRunning,
					StartedAt: now.Add(-5 * time.Hour), Spec: store.Spec{Kind: "demo"}}
				if _, err := st.CreateServer(ctx, srv); err != nil {
					b.Fatal(err)
				}
				last := now.Add(-time.Minute)
				if i%100 == 0 {
					last = now.Add(-3 * time.Hour)
				}
				marks[srv.Key()] = last
			}
			if err := st.MarkActivity(ctx, marks); err != nil {
				b.Fatal(err)
			}
			m := NewManager(st, newFake(), testConfig(), WithClock(func() time.Time { return now }),
				WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
			defer m.shutdown()
			c := m.NewCuller(CullConfig{Enabled: true, IdleTimeout: 2 * time.Hour, WarnBefore: 10 * time.Minute})
			b.ResetTimer()
			for b.Loop() {
				ds, err := c.Sweep(ctx, true)
				if err != nil || len(ds) != n/100 {
					b.Fatalf("Sweep = %d decisions, %v; want %d", len(ds), err, n/100)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/sweep")
		})
	}
}
