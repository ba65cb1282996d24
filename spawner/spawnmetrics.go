package spawner

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// spawnBuckets reach 30 minutes: a start that takes that long (a huge
// image pulled on a cold node) must show on a dashboard, not vanish in +Inf.
var spawnBuckets = []float64{1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900, 1200, 1800}

// SpawnMetrics are the starts' Prometheus metrics. A nil *SpawnMetrics
// counts nothing.
type SpawnMetrics struct {
	duration prometheus.Histogram
	wait     prometheus.Histogram
	failures *prometheus.CounterVec
}

// Reasons of spawnhub_spawn_failures_total.
const (
	FailTimeout = "timeout" // the server did not answer within the start timeout
	FailImage   = "image"   // the image left the catalogue
	FailBackend = "backend" // the backend refused or the process or pod failed
	FailRecord  = "record"  // the start could not be recorded in the store
)

// NewSpawnMetrics registers the metrics with reg.
func NewSpawnMetrics(reg prometheus.Registerer) *SpawnMetrics {
	sm := &SpawnMetrics{
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "spawnhub_spawn_duration_seconds",
			Help: "Time from Starting to Running, for the starts that succeeded.", Buckets: spawnBuckets}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "spawnhub_spawn_queue_wait_seconds",
			Help: "Time a server waited in the start queue before its start began.", Buckets: spawnBuckets}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "spawnhub_spawn_failures_total",
			Help: "Starts that failed, by reason (timeout, image, backend, record)."}, []string{"reason"}),
	}
	for _, r := range []string{FailTimeout, FailImage, FailBackend, FailRecord} {
		sm.failures.WithLabelValues(r) // every reason shows, at 0
	}
	reg.MustRegister(sm.duration, sm.wait, sm.failures)
	return sm
}

// WithSpawnMetrics counts the starts in sm.
func WithSpawnMetrics(sm *SpawnMetrics) Option { return func(m *Manager) { m.spawnMetrics = sm } }

func (sm *SpawnMetrics) started(d time.Duration) {
	if sm != nil {
		sm.duration.Observe(d.Seconds())
	}
}

func (sm *SpawnMetrics) waited(d time.Duration) {
	if sm != nil && d >= 0 {
		sm.wait.Observe(d.Seconds())
	}
}

func (sm *SpawnMetrics) failed(reason string) {
	if sm != nil {
		sm.failures.WithLabelValues(reason).Inc()
	}
}
