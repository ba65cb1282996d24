package spawner

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store/redis"
	"github.com/spawnhub/spawnhub/test/redisenv"
)

// BenchmarkConsolePage answers one page of 50 over a real Redis at 1,000
// and 10,000 servers: the time of a page should barely move with the size
// of the fleet, since a page reads a page of the index (compare the two in
// the same run). The filters are the console's common ones.
func BenchmarkConsolePage(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		st := newRedisStore(b)
		seedFleet(b, st, n)
		c := NewConsole(st, &storeStopper{st: st}, func() time.Time { return consoleT0 })
		for _, q := range []struct {
			name string
			q    ServerQuery
		}{
			{"by name", ServerQuery{Limit: 50}},
			{"running by idle", ServerQuery{Filter: ServerFilter{Phase: "running"}, Sort: SortIdle, Limit: 50}},
			{"rstudio second page", ServerQuery{Filter: ServerFilter{Image: "rstudio"}, Limit: 50}},
		} {
			if q.name == "rstudio second page" {
				first, err := c.Servers(b.Context(), q.q)
				if err != nil {
					b.Fatal(err)
				}
				q.q.Cursor = first.Next
			}
			b.Run(fmt.Sprintf("%s/%d", q.name, n), func(b *testing.B) {
				for b.Loop() {
					if _, err := c.Servers(b.Context(), q.q); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestConsolePageCostDoesNotGrow counts the Redis commands of one page at
// 1,000 and 10,000 servers: the same, for each query (the page reads a
// range of the index, never every record).
func TestConsolePageCostDoesNotGrow(t *testing.T) {
	addr := redisenv.Start(t)
	commands := map[int]*atomic.Int64{1000: {}, 10000: {}}
	consoles := map[int]*Console{}
	for n, count := range commands {
		st, err := redis.New(t.Context(), redis.Options{Addrs: []string{addr}, Prefix: fmt.Sprintf("cost%d:", n),
			Observe: func(string, time.Duration, error) { count.Add(1) }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		seedFleet(t, st, n)
		consoles[n] = NewConsole(st, &storeStopper{st: st}, func() time.Time { return consoleT0 })
	}
	yes := true
	for _, q := range []ServerQuery{
		{Limit: 50},
		{Filter: ServerFilter{Phase: "running"}, Sort: SortIdle, Limit: 50},
		{Filter: ServerFilter{Image: "rstudio", GPU: &yes}, Sort: "-" + SortStarted, Limit: 20},
		{Filter: ServerFilter{Namespace: "ns-0042"}, Limit: 50},
	} {
		per := map[int]int64{}
		for n, c := range consoles {
			before := commands[n].Load()
			if _, err := c.Servers(t.Context(), q); err != nil {
				t.Fatal(err)
			}
			per[n] = commands[n].Load() - before
		}
		t.Logf("query %+v: %d Redis commands at 1,000 and %d at 10,000 servers", q, per[1000], per[10000])
		if per[1000] != per[10000] {
			t.Errorf("query %+v: %d commands at 1,000 servers, %d at 10,000", q, per[1000], per[10000])
		}
	}
}
