package web

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// RequestMetrics counts the web layer's requests by route (the route's
// pattern, never the path: names of servers and users stay out of the
// labels) and status.
type RequestMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewRequestMetrics registers the metrics with reg.
func NewRequestMetrics(reg prometheus.Registerer) *RequestMetrics {
	rm := &RequestMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "spawnhub_http_requests_total",
			Help: "Requests to the pages and the API, by route, method and status."}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "spawnhub_http_request_duration_seconds",
			Help: "Time to answer the pages and the API, by route.", Buckets: prometheus.DefBuckets}, []string{"route"}),
	}
	reg.MustRegister(rm.requests, rm.duration)
	return rm
}

// middleware observes each request once it has been answered.
func (rm *RequestMetrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err) // the one error handler writes the status counted here
		}
		status := c.Response().Status
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		rm.requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(status)).Inc()
		rm.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		return nil
	}
}
