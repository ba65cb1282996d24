package spawner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
	"github.com/spawnhub/spawnhub/test/poll"
)

// replica is one more manager on a fixture's store, with its own backend,
// as another spawnhub replica.
func (fx *fixture) replica(t *testing.T, owner string, cfg form.Config, opts ...Option) (*Manager, *fakeBackend) {
	t.Helper()
	b := newFake()
	opts = append([]Option{WithOwner(owner), withFakeCapabilities(b), WithLogger(quiet())}, opts...)
	m := NewManager(fx.st, b, cfg, opts...)
	t.Cleanup(m.shutdown)
	return m, b
}

// TestQueuedStartSurvivesDeadReplica: a replica claimed a start, moved it
// to Starting and died (it never renews its claim). Once the claim
// expires, another replica takes the start over: it stops what was half
// started, then starts it, once.
func TestQueuedStartSurvivesDeadReplica(t *testing.T) {
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	fx := &fixture{st: st}
	cfg := testConfig()
	now := time.Now()
	srv, err := st.CreateServer(ctx, store.Server{Namespace: "ns", Name: "lab", Phase: store.PhaseQueued,
		Spec: store.Spec{Image: "demo"}, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	entry := store.QueueEntry{Key: srv.Key(), Backend: "default", Pool: poolOf(srv.Spec)}
	if err := st.Enqueue(ctx, entry); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Claim(ctx, "default", "dead", 1, store.QueueLimits{}, 200*time.Millisecond); err != nil || len(got) != 1 {
		t.Fatalf("dead replica's claim = %v, %v", got, err)
	}
	srv.Phase, srv.Owner, srv.Instance = store.PhaseStarting, "dead", "inst-dead"
	if _, err := st.UpdateServer(ctx, srv); err != nil {
		t.Fatal(err)
	}

	m, b := fx.replica(t, "r2", cfg, WithClaimTTL(300*time.Millisecond))
	if k := <-b.started; k != srv.Key() {
		t.Fatalf("r2 started %s, want %s", k, srv.Key())
	}
	b.release <- nil
	poll.UntilNil(t, 10*time.Second, func() error {
		if got, _ := m.Get(ctx, "ns", "lab"); got.Phase != store.PhaseRunning || got.Owner != "r2" {
			return errors.New("lab is " + string(got.Phase) + " by " + got.Owner + ", want running by r2")
		}
		return nil
	})
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.stops) != 1 || b.stops[0].Instance != "inst-dead" {
		t.Errorf("stops = %+v, want the dead replica's half-started instance stopped first", b.stops)
	}
	if b.starts[srv.Key()] != 1 {
		t.Errorf("starts of lab = %d, want 1", b.starts[srv.Key()])
	}
}

// TestDrainHandsStartBack: a replica that shuts down in the middle of a
// start hands it back to its place, and another replica starts it (told
// through the store, without waiting for a claim to expire).
func TestDrainHandsStartBack(t *testing.T) {
	fx := newFixture(t, 1)
	lab := fx.create(t, "lab")
	if k := <-fx.b.started; k != lab.Key() {
		t.Fatalf("r1 started %s, want lab", k)
	}
	other, b2 := fx.replica(t, "r2", testConfig(), WithTicks(make(chan time.Time)))
	rctx, stopOther := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- other.Run(rctx) }() // ends with rctx
	t.Cleanup(func() {
		stopOther()
		<-ran
	})
	fx.m.shutdown() // r1 drains
	if got := fx.get(t, "lab"); got.Phase != store.PhaseQueued && got.Owner != "r2" {
		t.Errorf("after r1's drain lab is %s by %s, want queued again (or taken by r2)", got.Phase, got.Owner)
	}
	if k := <-b2.started; k != lab.Key() {
		t.Fatalf("r2 started %s, want lab", k)
	}
	b2.release <- nil
	poll.UntilNil(t, 10*time.Second, func() error {
		if got, _ := other.Get(ctx, "ns", "lab"); got.Phase != store.PhaseRunning || got.Owner != "r2" {
			return errors.New("lab is " + string(got.Phase) + " by " + got.Owner + ", want running by r2")
		}
		return nil
	})
}

// TestPoolLimitAcrossReplicas: with one start per pool, a second server
// of the same image waits even though another replica has a free slot,
// while a GPU server (another pool) passes it.
func TestPoolLimitAcrossReplicas(t *testing.T) {
	cfg := testConfig()
	cfg.MaxStartsPerPool = 1
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	fx := &fixture{st: st}
	m1, b1 := fx.replica(t, "r1", cfg)
	m2, _ := fx.replica(t, "r2", cfg)
	req := form.Requester{UserID: "alice"}
	if _, err := m1.Create(ctx, "ns", req, form.Form{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	<-b1.started
	if _, err := m2.Create(ctx, "ns", req, form.Form{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	m1.queue.claim()
	m2.queue.claim() // both replicas had their chance: the pool is full
	place, err := st.Place(ctx, "default", store.Key{Namespace: "ns", Name: "b"})
	if err != nil || place.Claimed || place.Position != 1 || place.InFlight != 1 {
		t.Errorf("place of b = %+v, %v; want waiting first, behind 1 start in flight", place, err)
	}
	if got, _ := m2.Get(ctx, "ns", "b"); got.Phase != store.PhaseQueued || got.Message != "waiting for 1 server ahead" {
		t.Errorf("b = %s %q, want queued \"waiting for 1 server ahead\"", got.Phase, got.Message)
	}
	if _, err := m2.Create(ctx, "ns", req, form.Form{Name: "g", GPUs: 1}); err != nil {
		t.Fatal(err)
	}
	poll.UntilNil(t, 10*time.Second, func() error {
		if p, err := st.Place(ctx, "default", store.Key{Namespace: "ns", Name: "g"}); err != nil || !p.Claimed {
			return errors.New("the GPU server is not claimed yet")
		}
		return nil
	})
}

// TestStartTimeoutFails: a server that does not become ready within its
// image's start timeout fails with the backend's reason, and leaves the
// queue.
func TestStartTimeoutFails(t *testing.T) {
	cfg := testConfig()
	cfg.Images[0].StartTimeout = 50 * time.Millisecond
	fx := newFixture(t, 1)
	reg := prometheus.NewRegistry()
	m, b := fx.replica(t, "r2", cfg, WithMetrics(reg))
	fx.m.shutdown() // only r2 starts
	if _, err := m.Create(ctx, "ns", form.Requester{UserID: "alice"}, form.Form{Name: "lab"}); err != nil {
		t.Fatal(err)
	}
	<-b.started
	m.queue.wg.Wait()
	got, _ := m.Get(ctx, "ns", "lab")
	if got.Phase != store.PhaseFailed || !strings.HasPrefix(got.Message, "the server did not become ready within 50ms: ") ||
		!strings.Contains(got.Message, "deadline exceeded") {
		t.Errorf("lab = %s %q, want failed, naming the timeout and the backend's reason", got.Phase, got.Message)
	}
	if _, err := fx.st.Place(ctx, "default", got.Key()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("place of a failed start: %v, want ErrNotFound (out of the queue)", err)
	}
	got2 := gathered(t, reg)
	if n := got2[`spawnhub_spawner_starts_total{outcome="timeout"}`]; n != 1 {
		t.Errorf("spawnhub_spawner_starts_total{outcome=timeout} = %v, want 1 (all: %v)", n, got2)
	}
	if _, ok := got2["spawnhub_spawner_start_limit"]; !ok {
		t.Errorf("spawnhub_spawner_start_limit not registered (all: %v)", got2)
	}
}

func TestEstimatedWait(t *testing.T) {
	for _, tt := range []struct {
		p    store.QueuePlace
		want string
	}{
		{store.QueuePlace{Position: 1}, "waiting for 1 server ahead"},
		{store.QueuePlace{Position: 3, AvgStart: 0}, "waiting for 3 servers ahead"},
		{store.QueuePlace{Position: 3, InFlight: 0, AvgStart: 10 * time.Second}, "waiting for 3 servers ahead (about 30s)"},
		{store.QueuePlace{Position: 5, InFlight: 2, AvgStart: 10 * time.Second}, "waiting for 5 servers ahead (about 30s)"},
		{store.QueuePlace{Position: 4, InFlight: 4, AvgStart: 90 * time.Second}, "waiting for 4 servers ahead (about 1m30s)"},
	} {
		if got := sayPosition(tt.p.Position, estimatedWait(tt.p)).Text; got != tt.want {
			t.Errorf("place %+v says %q, want %q", tt.p, got, tt.want)
		}
	}
}

// TestPace: the start concurrency begins low and climbs with starts in
// the usual time, falls when starts slow down or time out, never below 1,
// climbs back to its ceiling, and a squeeze cuts it as a slow start does.
func TestPace(t *testing.T) {
	p := newPace(8)
	if got := p.limit(); got != 2 {
		t.Fatalf("initial limit = %d, want 2", got)
	}
	for range 6 {
		p.observe(time.Second, true)
	}
	if got := p.limit(); got != 8 {
		t.Fatalf("limit after usual starts = %d, want the ceiling 8", got)
	}
	p.observe(5*time.Second, true)
	if got := p.limit(); got != 6 {
		t.Errorf("limit after a start 5x slower = %d, want 6", got)
	}
	for range 20 {
		p.observe(0, false)
	}
	if got := p.limit(); got != 1 {
		t.Errorf("limit after many timeouts = %d, want 1", got)
	}
	for range 100 {
		p.observe(time.Second, true)
	}
	if got := p.limit(); got != 8 {
		t.Errorf("limit after usual starts again = %d, want 8", got)
	}
	p.squeeze()
	if got := p.limit(); got != 6 {
		t.Errorf("limit after a squeeze = %d, want 6", got)
	}
	for range 2 {
		p.observe(time.Second, true)
	}
	if got := p.limit(); got != 6 {
		t.Errorf("limit after a squeeze and 2 usual starts = %d, want 6 (it climbs back slowly past a cut)", got)
	}
	if got := newPace(1).limit(); got != 1 {
		t.Errorf("limit with a ceiling of 1 = %d, want 1", got)
	}
}

// gathered is every counter and gauge of reg by name{labels}.
func gathered(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			name := f.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + "=\"" + l.GetValue() + "\"}"
			}
			switch {
			case m.GetCounter() != nil:
				out[name] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[name] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// TestReconcileQueuesLostEntry: a Queued record whose queue entry was never
// written (its replica died in between) is queued again by Reconcile, after
// the entries already waiting; those keep their place.
func TestReconcileQueuesLostEntry(t *testing.T) {
	fx := newFixture(t, 1)
	fx.create(t, "busy") // holds the only start slot
	<-fx.b.started
	fx.create(t, "waiting")
	old := time.Now().Add(-time.Minute)
	lost, err := fx.st.CreateServer(ctx, store.Server{Namespace: "ns", Name: "lost", Phase: store.PhaseQueued,
		Spec: store.Spec{Image: "demo"}, CreatedAt: old, UpdatedAt: old})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.st.Place(ctx, "default", lost.Key()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lost before reconcile: %v, want not in the queue", err)
	}
	if err := fx.m.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if p, err := fx.st.Place(ctx, "default", lost.Key()); err != nil || p.Position != 2 {
		t.Errorf("lost after reconcile: %+v, %v; want second in line", p, err)
	}
	if p, err := fx.st.Place(ctx, "default", store.Key{Namespace: "ns", Name: "waiting"}); err != nil || p.Position != 1 {
		t.Errorf("waiting after reconcile: %+v, %v; want still first", p, err)
	}
	for _, next := range []string{"waiting", "lost"} {
		fx.b.release <- nil
		if k := <-fx.b.started; k.Name != next {
			t.Errorf("started %s, want %s", k.Name, next)
		}
	}
	fx.b.release <- nil
	fx.settle()
}
