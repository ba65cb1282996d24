package spawner

import (
	"math"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestQuantileSince: the quantile counts only what came since the earlier
// copy, and names the lower bound of its bucket.
func TestQuantileSince(t *testing.T) {
	h := &metrics.Float64Histogram{Buckets: []float64{math.Inf(-1), 0, 0.001, 0.01, 0.1, math.Inf(1)},
		Counts: []uint64{0, 90, 5, 5, 0}}
	if got := quantileSince(nil, h, 0.99); got != 0.01 {
		t.Errorf("p99 of all = %v, want 0.01", got)
	}
	if got := quantileSince(nil, h, 0.5); got != 0 {
		t.Errorf("p50 of all = %v, want 0", got)
	}
	prev := []uint64{0, 90, 5, 5, 0}
	if got := quantileSince(prev, h, 0.99); got != 0 {
		t.Errorf("p99 of nothing new = %v, want 0", got)
	}
	h.Counts = []uint64{0, 190, 5, 5, 1}
	if got := quantileSince(prev, h, 0.99); got != 0 {
		t.Errorf("p99 of 100 new, one slow = %v, want 0", got)
	}
	h.Counts = []uint64{0, 190, 5, 5, 3}
	if got := quantileSince(prev, h, 0.99); got != 0.1 {
		t.Errorf("p99 of 100 new, three slow = %v, want 0.1", got)
	}
}

// TestSchedWatchSeesStarvation: goroutines that keep every thread busy
// make the others wait; the watch says so.
func TestSchedWatchSeesStarvation(t *testing.T) {
	w := newSchedWatch()
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for !stop.Load() { // preempted only by the runtime, every 10 ms
			}
		})
	}
	for range 20 { // sleepers that wake up behind them
		wg.Go(func() {
			for range 10 {
				time.Sleep(time.Millisecond)
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if got := w.p99(); got <= starvedLatency {
		t.Errorf("scheduler latency p99 with every thread busy = %s, want more than %s", got, starvedLatency)
	}
}
