package spawner

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// CullMetrics are the culler's Prometheus metrics, and the servers by
// phase and kind (counted from the store when scraped). A nil
// *CullMetrics counts nothing.
type CullMetrics struct {
	idleServers prometheus.Gauge
	culls       *prometheus.CounterVec
	warnings    prometheus.Counter
	probeFails  prometheus.Counter
}

// NewCullMetrics registers the metrics with reg; servers by phase and kind
// come from m's store at each scrape.
func NewCullMetrics(reg prometheus.Registerer, m *Manager) *CullMetrics {
	mt := &CullMetrics{
		idleServers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "spawnhub_idle_servers",
			Help: "Servers due for a cull (warned or not) at the last sweep."}),
		culls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "spawnhub_culls_total",
			Help: "Servers stopped by the culler, by reason (idle, maxAge)."}, []string{"reason"}),
		warnings: prometheus.NewCounter(prometheus.CounterOpts{Name: "spawnhub_cull_warnings_total",
			Help: "Warnings that a server will be culled."}),
		probeFails: prometheus.NewCounter(prometheus.CounterOpts{Name: "spawnhub_activity_probe_failures_total",
			Help: "Busy-kernel probes that failed (the server was kept)."}),
	}
	reg.MustRegister(mt.idleServers, mt.culls, mt.warnings, mt.probeFails, serversCollector{m: m})
	return mt
}

func (mt *CullMetrics) idle(n int) {
	if mt != nil {
		mt.idleServers.Set(float64(n))
	}
}

func (mt *CullMetrics) culled(reason string) {
	if mt != nil {
		mt.culls.WithLabelValues(reason).Inc()
	}
}

func (mt *CullMetrics) warned() {
	if mt != nil {
		mt.warnings.Inc()
	}
}

func (mt *CullMetrics) probeFailed() {
	if mt != nil {
		mt.probeFails.Inc()
	}
}

var serversDesc = prometheus.NewDesc("spawnhub_servers", "Servers by phase and kind.", []string{"phase", "kind"}, nil)

// serversCollector counts the servers of the store at each scrape.
type serversCollector struct{ m *Manager }

func (c serversCollector) Describe(ch chan<- *prometheus.Desc) { ch <- serversDesc }

func (c serversCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srvs, err := c.m.st.ListServers(ctx, "")
	if err != nil {
		ch <- prometheus.NewInvalidMetric(serversDesc, err)
		return
	}
	type pk struct{ phase, kind string }
	n := map[pk]int{}
	for _, s := range srvs {
		n[pk{string(s.Phase), s.Spec.Kind}]++
	}
	for k, v := range n {
		ch <- prometheus.MustNewConstMetric(serversDesc, prometheus.GaugeValue, float64(v), k.phase, k.kind)
	}
}
