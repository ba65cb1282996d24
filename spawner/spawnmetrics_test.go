package spawner

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/spawnhub/spawnhub/store"
)

// TestSpawnAndConsoleMetrics: a start that succeeds and one the backend
// fails are counted (duration, queue wait, failure by reason), and the
// console's collector reports servers by namespace and phase, the queue
// and the resources requested, from the index.
func TestSpawnAndConsoleMetrics(t *testing.T) {
	fx := newFixture(t, 2)
	reg := prometheus.NewRegistry()
	sm := NewSpawnMetrics(reg)
	WithSpawnMetrics(sm)(fx.m)
	fx.running(t, "ok")
	fx.create(t, "broken")
	<-fx.b.started
	fx.b.release <- errors.New("image pull failed")
	fx.settle()
	fx.create(t, "waiting") // stays queued: its start is not released
	<-fx.b.started

	if n := testutil.CollectAndCount(sm.duration); n != 1 {
		t.Errorf("duration series = %d, want 1", n)
	}
	for _, tt := range []struct {
		name string
		got  float64
		want float64
	}{
		{"backend failures", testutil.ToFloat64(sm.failures.WithLabelValues(FailBackend)), 1},
		{"timeouts", testutil.ToFloat64(sm.failures.WithLabelValues(FailTimeout)), 0},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if got := histogramCount(t, reg, "spawnhub_spawn_duration_seconds"); got != 1 {
		t.Errorf("spawn durations observed = %d, want 1", got)
	}
	if got := histogramCount(t, reg, "spawnhub_spawn_queue_wait_seconds"); got != 3 {
		t.Errorf("queue waits observed = %d, want 3", got)
	}

	creg := prometheus.NewRegistry()
	creg.MustRegister(NewConsoleCollector(NewConsole(fx.st, fx.m, nil)))
	if _, err := fx.st.CreateNamespace(ctx, nsRecord("ns")); err != nil {
		t.Fatal(err)
	}
	wantConsole := `
# HELP spawnhub_namespace_servers Servers by namespace and phase (from the administrators' index).
# TYPE spawnhub_namespace_servers gauge
spawnhub_namespace_servers{namespace="ns",phase="failed"} 1
spawnhub_namespace_servers{namespace="ns",phase="running"} 1
spawnhub_namespace_servers{namespace="ns",phase="starting"} 1
# HELP spawnhub_queue_length Servers waiting in the start queue, on every replica.
# TYPE spawnhub_queue_length gauge
spawnhub_queue_length 0
# HELP spawnhub_requested_resources CPU cores, memory bytes and GPUs requested by the servers running now.
# TYPE spawnhub_requested_resources gauge
spawnhub_requested_resources{resource="cpu"} 1
spawnhub_requested_resources{resource="gpu"} 0
spawnhub_requested_resources{resource="memory"} 2.147483648e+09
`
	if err := testutil.GatherAndCompare(creg, strings.NewReader(wantConsole)); err != nil {
		t.Error(err)
	}
	fx.b.release <- nil
	fx.settle()
}

func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func nsRecord(name string) store.Namespace { return store.Namespace{Name: name, Owner: "alice"} }
