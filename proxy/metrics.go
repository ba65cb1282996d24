package proxy

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the proxy's Prometheus series. They are counted whether or
// not they are registered. Label values are resolved once, so counting does
// not allocate.
type metrics struct {
	requests       *prometheus.CounterVec
	byClass        [6]prometheus.Counter // index: status / 100
	websockets     prometheus.Gauge
	upstreamErrors *prometheus.CounterVec
}

func newMetrics(prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "spawnhub", Subsystem: "proxy", Name: "requests_total",
			Help: "Requests answered by the proxy, by status class (1xx counts websocket upgrades).",
		}, []string{"code"}),
		websockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "spawnhub", Subsystem: "proxy", Name: "websockets_open",
			Help: "Websockets currently relayed.",
		}),
		upstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "spawnhub", Subsystem: "proxy", Name: "upstream_errors_total",
			Help: "Failed round trips to servers, by kind: timeout, unreachable, canceled (client gone).",
		}, []string{"kind"}),
	}
	for i, class := range []string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"} {
		m.byClass[i] = m.requests.WithLabelValues(class)
	}
	return m
}

func (m *metrics) register(r prometheus.Registerer) error {
	return errors.Join(r.Register(m.requests), r.Register(m.websockets), r.Register(m.upstreamErrors))
}

func (m *metrics) request(status int) {
	i := status / 100
	if i < 1 || i >= len(m.byClass) {
		i = 0
	}
	m.byClass[i].Inc()
}

func (m *metrics) upstreamError(kind string) { m.upstreamErrors.WithLabelValues(kind).Inc() }
