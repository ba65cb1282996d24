package spawner

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// queueMetrics are the start queue's Prometheus series, as this replica
// sees them. They are counted whether or not they are registered.
type queueMetrics struct {
	starts   *prometheus.CounterVec // by outcome
	inFlight prometheus.GaugeFunc
	limit    prometheus.GaugeFunc
	ready    prometheus.Histogram
}

func newQueueMetrics(m *Manager) *queueMetrics {
	return &queueMetrics{
		starts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "spawnhub", Subsystem: "spawner", Name: "starts_total",
			Help: "Starts this replica ended, by outcome: running, failed, timeout, handed_back (drain), cancelled.",
		}, []string{"outcome"}),
		inFlight: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "spawnhub", Subsystem: "spawner", Name: "starts_in_flight",
			Help: "Starts running on this replica now.",
		}, func() float64 { return float64(m.queue.running()) }),
		limit: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "spawnhub", Subsystem: "spawner", Name: "start_limit",
			Help: "Starts this replica may run at a time now (paced by readiness times).",
		}, func() float64 { return float64(m.pace.limit()) }),
		ready: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "spawnhub", Subsystem: "spawner", Name: "start_seconds",
			Help:    "Time from leaving the queue to ready, of successful starts.",
			Buckets: prometheus.ExponentialBuckets(0.25, 2, 12),
		}),
	}
}

func (q *queueMetrics) register(r prometheus.Registerer) error {
	return errors.Join(r.Register(q.starts), r.Register(q.inFlight), r.Register(q.limit), r.Register(q.ready))
}

func (q *queueMetrics) ended(outcome string, took time.Duration) {
	q.starts.WithLabelValues(outcome).Inc()
	if outcome == "running" {
		q.ready.Observe(took.Seconds())
	}
}

// WithMetrics registers the start queue's metrics in r.
func WithMetrics(r prometheus.Registerer) Option { return func(m *Manager) { m.registry = r } }
