package spawner

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

func TestCullMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	probe := &fakeProbe{err: errors.New("unreachable")}
	var mt *CullMetrics
	fx := newCullFixture(t, hourIdle, WithBusyProbe(probe), func(c *Culler) {
		mt = NewCullMetrics(reg, c.m)
		c.metrics = mt
	})
	fx.running(t, "lab")
	fx.running(t, "nb")
	setKind(t, fx, "nb", form.KindJupyter)
	fx.clock.advance(50 * time.Minute)
	fx.sweep(t)
	fx.clock.advance(10 * time.Minute)
	fx.sweep(t)
	for _, tt := range []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"warnings", mt.warnings, 1},
		{"culls idle", mt.culls.WithLabelValues(store.CullIdle), 1},
		{"probe failures", mt.probeFails, 2},
	} {
		if got := testutil.ToFloat64(tt.c); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, got, tt.want)
		}
	}
	want := `
# HELP spawnhub_servers Servers by phase and kind.
# TYPE spawnhub_servers gauge
spawnhub_servers{kind="demo",phase="stopped"} 1
spawnhub_servers{kind="jupyter",phase="running"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "spawnhub_servers"); err != nil {
		t.Error(err)
	}
}
