package spawner

import (
	"context"
	"math"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
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
	stop := burnCPU()
	time.Sleep(300 * time.Millisecond) // the busy goroutines wait their turns
	stop()
	if got := w.p99(); got <= starvedLatency {
		t.Errorf("scheduler latency p99 with every thread busy = %s, want more than %s", got, starvedLatency)
	}
}

// burnCPU keeps every thread busy until the returned stop is called (the
// busy goroutines are preempted only by the runtime, every 10 ms).
func burnCPU() (stop func()) {
	var done atomic.Bool
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for !done.Load() {
			}
		})
	}
	return func() { done.Store(true); wg.Wait() }
}

// TestStarvedReplicaCutsItsStarts: while this process is starved of CPU,
// a replica with a start in flight cuts its start concurrency; with none
// in flight it leaves it alone.
func TestStarvedReplicaCutsItsStarts(t *testing.T) {
	fx := newFixture(t, 8)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go fx.m.watchStarvation(wctx)
	stop := burnCPU()
	time.Sleep(2500 * time.Millisecond) // two ticks starved, nothing in flight
	stop()
	if got := fx.m.pace.limit(); got != initialSlots {
		t.Fatalf("limit after starving with no start in flight = %d, want %d", got, initialSlots)
	}
	if _, err := fx.m.Create(ctx, "ns", form.Requester{UserID: "alice"}, form.Form{Name: "lab"}); err != nil {
		t.Fatal(err)
	}
	<-fx.b.started
	stop = burnCPU()
	for deadline := time.Now().Add(30 * time.Second); fx.m.pace.limit() == initialSlots && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if got := fx.m.pace.limit(); got >= initialSlots {
		t.Errorf("limit while starved with a start in flight = %d, want less than %d", got, initialSlots)
	}
	fx.b.release <- nil
	fx.settle()
}
