package spawner

import (
	"fmt"
	"testing"
	"time"
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
