package web

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestRequestMetricsByRouteAndStatus: requests are counted by the route's
// pattern (no server or user names in labels) and the status the error
// handler wrote.
func TestRequestMetricsByRouteAndStatus(t *testing.T) {
	reg := prometheus.NewRegistry()
	rm := NewRequestMetrics(reg)
	fx := newAdminFixture(t, time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC), func(o *Options) { o.Requests = rm })
	fx.call("root", "en", http.MethodGet, "/api/v1/admin/servers", "")
	fx.call("root", "en", http.MethodGet, "/api/v1/admin/servers?sort=x", "")
	fx.call("alice", "en", http.MethodGet, "/api/v1/admin/servers", "")
	fx.call("alice", "en", http.MethodGet, "/api/v1/namespaces/alice/servers/lab-1", "")
	fx.call("alice", "en", http.MethodGet, "/api/v1/namespaces/alice/servers/lab-2", "")
	for _, tt := range []struct {
		route, status string
		want          float64
	}{
		{"/api/v1/admin/servers", "200", 1},
		{"/api/v1/admin/servers", "400", 1},
		{"/api/v1/admin/servers", "404", 1},
		{"/api/v1/namespaces/:ns/servers/:name", "200", 2},
	} {
		if got := testutil.ToFloat64(rm.requests.WithLabelValues(tt.route, "GET", tt.status)); got != tt.want {
			t.Errorf("requests{route=%s,status=%s} = %v, want %v", tt.route, tt.status, got, tt.want)
		}
	}
}
