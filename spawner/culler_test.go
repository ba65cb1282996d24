package spawner

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// clock is a time the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// fakeProbe answers busy or fails as the test says, and counts calls.
type fakeProbe struct {
	mu    sync.Mutex
	busy  bool
	err   error
	calls int
}

func (p *fakeProbe) Busy(context.Context, store.Key, store.Route) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	return p.busy, p.err
}

func (p *fakeProbe) set(busy bool, err error) { p.mu.Lock(); p.busy, p.err = busy, err; p.mu.Unlock() }

type cullFixture struct {
	*fixture
	clock *clock
	c     *Culler
}

var t0 = time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)

func newCullFixture(t *testing.T, cfg CullConfig, opts ...CullOption) *cullFixture {
	t.Helper()
	clk := &clock{t: t0}
	st, b := memory.NewWithClock(clk.now), newFake()
	m := NewManager(st, b, testConfig(), WithOwner("r1"), WithClock(clk.now), withFakeCapabilities(b),
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(func() { m.shutdown(); st.Close() })
	cfg.Enabled = true
	return &cullFixture{fixture: &fixture{m: m, st: st, b: b}, clock: clk, c: m.NewCuller(cfg, opts...)}
}

func (fx *cullFixture) sweep(t *testing.T) []CullDecision {
	t.Helper()
	ds, err := fx.c.Sweep(ctx, false)
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	return ds
}

func (fx *cullFixture) events(t *testing.T, name, reason string) int {
	t.Helper()
	evs, err := fx.st.ListEvents(ctx, store.Key{Namespace: "ns", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Reason == reason {
			n++
		}
	}
	return n
}

func (fx *cullFixture) act(t *testing.T, name, source string) {
	t.Helper()
	mark := map[store.Key]store.Mark{{Namespace: "ns", Name: name}: {At: fx.clock.now(), Source: source}}
	if err := fx.st.RecordActivity(ctx, mark); err != nil {
		t.Fatal(err)
	}
}

var hourIdle = CullConfig{IdleTimeout: time.Hour, WarnBefore: 10 * time.Minute}

func TestCullWarnsThenCulls(t *testing.T) {
	fx := newCullFixture(t, hourIdle)
	fx.running(t, "lab")
	fx.clock.advance(49 * time.Minute)
	if ds := fx.sweep(t); len(ds) != 0 {
		t.Fatalf("decisions after 49 min idle = %+v, want none", ds)
	}
	fx.clock.advance(time.Minute)
	fx.sweep(t)
	srv := fx.get(t, "lab")
	if srv.Cull == nil || srv.Cull.Reason != store.CullIdle || !srv.Cull.At.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after 50 min idle: cull = %+v, want a warning for %v", srv.Cull, t0.Add(time.Hour))
	}
	if n := fx.events(t, "lab", "CullWarning"); n != 1 {
		t.Errorf("CullWarning events = %d, want 1", n)
	}
	fx.clock.advance(5 * time.Minute)
	fx.sweep(t)
	if srv := fx.get(t, "lab"); srv.Phase != store.PhaseRunning || fx.events(t, "lab", "CullWarning") != 1 {
		t.Fatalf("5 min after the warning: phase %s, %d warnings; want running, warned once", srv.Phase, fx.events(t, "lab", "CullWarning"))
	}
	fx.clock.advance(5 * time.Minute)
	fx.sweep(t)
	srv = fx.get(t, "lab")
	if srv.Phase != store.PhaseStopped || srv.Cull == nil || !srv.Cull.Done || srv.Cull.Reason != store.CullIdle {
		t.Fatalf("at cullAt: phase %s cull %+v, want stopped with the reason", srv.Phase, srv.Cull)
	}
	if srv.Spec.Image != "demo" || fx.events(t, "lab", "Culled") != 1 {
		t.Errorf("after the cull: spec %+v, %d Culled events; want the spec kept, 1 event", srv.Spec, fx.events(t, "lab", "Culled"))
	}
	// One click brings it back, without the culler's reason.
	if _, err := fx.m.Start(ctx, "ns", "lab"); err != nil {
		t.Fatal(err)
	}
	<-fx.b.started
	fx.b.release <- nil
	fx.settle()
	if srv := fx.get(t, "lab"); srv.Phase != store.PhaseRunning || srv.Cull != nil {
		t.Errorf("after Start: phase %s cull %+v, want running without a cull", srv.Phase, srv.Cull)
	}
}

func TestActivityAfterWarningCancelsCull(t *testing.T) {
	for _, source := range []string{store.SourceKeyboard, store.SourceKeep} {
		t.Run(source, func(t *testing.T) {
			fx := newCullFixture(t, hourIdle)
			fx.running(t, "lab")
			fx.clock.advance(50 * time.Minute)
			fx.sweep(t)
			fx.clock.advance(2 * time.Minute)
			if source == store.SourceKeep {
				if err := fx.m.KeepRunning(ctx, "ns", "lab"); err != nil {
					t.Fatal(err)
				}
			} else {
				fx.act(t, "lab", source)
			}
			acts, _ := fx.st.Activities(ctx, []store.Key{{Namespace: "ns", Name: "lab"}})
			if c := PendingCull(fx.get(t, "lab"), acts[store.Key{Namespace: "ns", Name: "lab"}].Last); c != nil {
				t.Errorf("pending cull after %s activity = %+v, want none", source, c)
			}
			fx.clock.advance(8 * time.Minute) // the warned cullAt
			fx.sweep(t)
			if srv := fx.get(t, "lab"); srv.Phase != store.PhaseRunning {
				t.Fatalf("phase after activity and cullAt = %s, want running", srv.Phase)
			}
			fx.clock.advance(42 * time.Minute) // idle again for 50 min: a new warning
			fx.sweep(t)
			if n := fx.events(t, "lab", "CullWarning"); n != 2 {
				t.Errorf("warnings = %d, want 2", n)
			}
		})
	}
}

func TestBusyKernelIsNotCulled(t *testing.T) {
	probe := &fakeProbe{busy: true}
	fx := newCullFixture(t, CullConfig{IdleTimeout: time.Hour, WarnBefore: 10 * time.Minute}, WithBusyProbe(probe))
	fx.running(t, "lab")
	setKind(t, fx, "lab", form.KindJupyter)
	for range 3 { // busy for 3 hours, silent
		fx.clock.advance(time.Hour)
		fx.sweep(t)
	}
	srv := fx.get(t, "lab")
	acts, _ := fx.st.Activities(ctx, []store.Key{srv.Key()})
	if srv.Phase != store.PhaseRunning || srv.Cull != nil || acts[srv.Key()].Source != store.SourceBusy {
		t.Fatalf("busy kernel: phase %s cull %+v activity %+v; want running, unwarned, busy", srv.Phase, srv.Cull, acts[srv.Key()])
	}
	probe.set(false, nil) // the cell finished
	fx.clock.advance(50 * time.Minute)
	fx.sweep(t)
	fx.clock.advance(10 * time.Minute)
	fx.sweep(t)
	if srv := fx.get(t, "lab"); srv.Phase != store.PhaseStopped {
		t.Errorf("an hour after the kernel finished: phase %s, want stopped", srv.Phase)
	}
}

func TestFailingProbeDoesNotCull(t *testing.T) {
	probe := &fakeProbe{err: errors.New("connection refused")}
	fx := newCullFixture(t, hourIdle, WithBusyProbe(probe))
	fx.running(t, "lab")
	setKind(t, fx, "lab", form.KindJupyter)
	for range 3 {
		fx.clock.advance(time.Hour)
		if ds := fx.sweep(t); len(ds) != 0 {
			t.Fatalf("decisions with a failing probe = %+v, want none", ds)
		}
	}
	if srv := fx.get(t, "lab"); srv.Phase != store.PhaseRunning || srv.Cull != nil || probe.calls != 3 {
		t.Errorf("failing probe: phase %s cull %+v calls %d; want running, unwarned, 3 calls", srv.Phase, srv.Cull, probe.calls)
	}
}

func TestCullByKindAndMaxAge(t *testing.T) {
	fx := newCullFixture(t, CullConfig{IdleTimeout: time.Hour, ByKind: map[string]time.Duration{form.KindDemo: 3 * time.Hour},
		MaxAge: 8 * time.Hour, WarnBefore: 10 * time.Minute})
	fx.running(t, "lab") // a demo: 3 h
	fx.clock.advance(2 * time.Hour)
	if ds := fx.sweep(t); len(ds) != 0 {
		t.Fatalf("demo idle 2 h (timeout 3 h): decisions %+v, want none", ds)
	}
	for range 6 * 6 { // active every 10 minutes for 6 hours more
		fx.act(t, "lab", store.SourceRequest)
		fx.clock.advance(10 * time.Minute)
		fx.sweep(t)
	}
	srv := fx.get(t, "lab")
	if srv.Phase != store.PhaseStopped || srv.Cull == nil || srv.Cull.Reason != store.CullMaxAge {
		t.Errorf("active server after 8 h: phase %s cull %+v, want culled for maxAge", srv.Phase, srv.Cull)
	}
}

func TestCullDryRun(t *testing.T) {
	fx := newCullFixture(t, hourIdle)
	fx.running(t, "lab")
	fx.clock.advance(2 * time.Hour)
	ds, err := fx.c.Sweep(ctx, true)
	if err != nil || len(ds) != 1 || ds[0].Action != CullActionWarn || ds[0].Reason != store.CullIdle || ds[0].IdleSeconds != 7200 {
		t.Fatalf("dry run = %+v, %v; want one idle warning after 7200 s", ds, err)
	}
	if srv := fx.get(t, "lab"); srv.Cull != nil || fx.events(t, "lab", "CullWarning") != 0 {
		t.Errorf("dry run changed the server: cull %+v", srv.Cull)
	}
}

func TestRunSweepsOnTicks(t *testing.T) {
	ticks := make(chan time.Time)
	fx := newCullFixture(t, CullConfig{IdleTimeout: time.Hour}, WithCullTicks(ticks))
	fx.running(t, "lab")
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- fx.c.Run(ctx) }()
	fx.clock.advance(2 * time.Hour)
	ticks <- time.Time{} // taken: the sweep runs
	ticks <- time.Time{} // taken: the first sweep is over
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if srv := fx.get(t, "lab"); srv.Phase != store.PhaseStopped {
		t.Errorf("phase after a tick with warnBefore 0 = %s, want stopped", srv.Phase)
	}
}

// TestReplicasCullOnce: several replicas sweeping one store at the same
// time warn and cull each idle server exactly once.
func TestReplicasCullOnce(t *testing.T) {
	fx := newCullFixture(t, hourIdle)
	names := []string{"a", "b", "c", "d", "e"}
	for _, n := range names {
		fx.running(t, n)
	}
	var replicas []*Culler
	for i := range 4 {
		m := NewManager(fx.st, fx.b, testConfig(), WithOwner("r"+string(rune('2'+i))), WithClock(fx.clock.now),
			WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		t.Cleanup(m.shutdown)
		replicas = append(replicas, m.NewCuller(CullConfig{Enabled: true, IdleTimeout: time.Hour, WarnBefore: 10 * time.Minute}))
	}
	for _, step := range []time.Duration{50 * time.Minute, 10 * time.Minute} {
		fx.clock.advance(step)
		var wg sync.WaitGroup
		for _, c := range replicas {
			wg.Go(func() { _, _ = c.Sweep(ctx, false) })
		}
		wg.Wait()
	}
	for _, n := range names {
		if w, c := fx.events(t, n, "CullWarning"), fx.events(t, n, "Culled"); w != 1 || c != 1 {
			t.Errorf("%s: %d warnings, %d culls; want 1 and 1", n, w, c)
		}
		if srv := fx.get(t, n); srv.Phase != store.PhaseStopped {
			t.Errorf("%s: phase %s, want stopped", n, srv.Phase)
		}
	}
	fx.b.mu.Lock()
	defer fx.b.mu.Unlock()
	if len(fx.b.stops) != len(names) {
		t.Errorf("backend stops = %d, want %d", len(fx.b.stops), len(names))
	}
}

// setKind changes a running server's kind in its record.
func setKind(t *testing.T, fx *cullFixture, name, kind string) {
	t.Helper()
	srv := fx.get(t, name)
	srv.Spec.Kind = kind
	if _, err := fx.st.UpdateServer(ctx, srv); err != nil {
		t.Fatal(err)
	}
}
