package spawner

import (
	"context"
	"math"
	"runtime/metrics"
	"slices"
	"time"
)

// A replica whose CPUs are taken (by the very servers it starts on the
// local backend, or by anything else on the machine) answers its API late
// although every start is as fast as usual: readiness times alone never
// show it. The Go scheduler's latency does: how long runnable goroutines
// waited for a thread (runtime/metrics /sched/latencies:seconds), which is
// what every request of the API waits too. Each second of starts in
// flight, a replica whose goroutines waited more than starvedLatency at
// the 99th percentile cuts its start concurrency as a slow start does.

const (
	schedMetric    = "/sched/latencies:seconds"
	starvedLatency = 10 * time.Millisecond
	schedEvery     = time.Second
)

// schedWatch reads the scheduler's latency histogram and tells its 99th
// percentile over the time since the last read.
type schedWatch struct {
	sample []metrics.Sample
	prev   []uint64
}

func newSchedWatch() *schedWatch {
	w := &schedWatch{sample: []metrics.Sample{{Name: schedMetric}}}
	w.p99()
	return w
}

// p99 is the 99th percentile of the latencies since the last call (0 when
// nothing was scheduled, or the runtime has no such metric).
func (w *schedWatch) p99() time.Duration {
	metrics.Read(w.sample)
	if w.sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return 0
	}
	h := w.sample[0].Value.Float64Histogram()
	q := quantileSince(w.prev, h, 0.99)
	w.prev = append(w.prev[:0], h.Counts...)
	return time.Duration(q * float64(time.Second))
}

// quantileSince is the q-quantile of what h counted since prev (an
// earlier copy of its counts, or nil), as the lower bound of the bucket it
// falls in (an upper bound of +Inf is no answer); 0 when nothing was
// counted.
func quantileSince(prev []uint64, h *metrics.Float64Histogram, q float64) float64 {
	delta := slices.Clone(h.Counts)
	var total uint64
	for i := range delta {
		if i < len(prev) {
			delta[i] -= prev[i]
		}
		total += delta[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, n := range delta {
		if seen += n; seen >= rank {
			return max(0, h.Buckets[i])
		}
	}
	return 0
}

// watchStarvation cuts the start concurrency while starts are in flight
// and the scheduler's latency says this replica is starved; it ends with
// ctx.
func (m *Manager) watchStarvation(ctx context.Context) {
	w := newSchedWatch()
	t := time.NewTicker(schedEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Read every tick, so that a cut judges only its own second.
		if lat := w.p99(); lat > starvedLatency && m.queue.running() > 0 {
			m.pace.squeeze()
			m.log.Debug("start concurrency cut: this replica is starved of CPU",
				"schedLatencyP99", lat.String(), "limit", m.pace.limit())
		}
	}
}
