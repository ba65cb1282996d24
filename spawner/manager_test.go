package spawner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// fakeBackend starts a server only when the test says so: each Start
// announces itself on started and waits for a result on release.
type fakeBackend struct {
	started chan store.Key
	release chan error

	mu      sync.Mutex
	starts  map[store.Key]int
	stops   []store.Server
	dead    map[string]bool // instances that have ended
	deleted []store.Key
	onExit  ExitHandler
	n       int
}

// The fake reports exits and deletes volumes, as both real backends do.
var (
	_ ExitNotifier  = (*fakeBackend)(nil)
	_ VolumeDeleter = (*fakeBackend)(nil)
)

// withFakeCapabilities wires the fake's exit reports and volume deletion.
func withFakeCapabilities(b *fakeBackend) Option {
	return func(m *Manager) {
		WithExitNotifier(b)(m)
		WithVolumeDeleter(b)(m)
	}
}

func newFake() *fakeBackend {
	return &fakeBackend{started: make(chan store.Key, 100), release: make(chan error), starts: map[store.Key]int{}, dead: map[string]bool{}}
}

func (f *fakeBackend) Start(ctx context.Context, srv store.Server, _ form.Image, token string, progress func(store.Event)) (store.Route, string, error) {
	f.mu.Lock()
	f.starts[srv.Key()]++
	f.n++
	inst := fmt.Sprintf("inst-%d", f.n)
	f.mu.Unlock()
	f.started <- srv.Key()
	progress(store.Event{Type: store.EventNormal, Reason: "Launched", Message: "fake"})
	select {
	case err := <-f.release:
		if err != nil {
			return store.Route{}, "", err
		}
		return store.Route{Target: "http://127.0.0.1:1", Token: token}, inst, nil
	case <-ctx.Done():
		return store.Route{}, "", ctx.Err()
	}
}

func (f *fakeBackend) Stop(ctx context.Context, srv store.Server) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops = append(f.stops, srv)
	f.dead[srv.Instance] = true
	return nil
}

func (f *fakeBackend) Alive(ctx context.Context, srv store.Server) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.dead[srv.Instance], nil
}

func (f *fakeBackend) SetExitHandler(h ExitHandler) { f.onExit = h }

func (f *fakeBackend) DeleteVolumes(ctx context.Context, srv store.Server) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, srv.Key())
	return nil
}

func (f *fakeBackend) startCount(k store.Key) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starts[k]
}

type fixture struct {
	m  *Manager
	st *memory.Store
	b  *fakeBackend
}

func newFixture(t *testing.T, maxStarts int) *fixture {
	t.Helper()
	cfg := testConfig()
	cfg.MaxConcurrentStarts = maxStarts
	st, b := memory.New(), newFake()
	m := NewManager(st, b, cfg, WithOwner("r1"), withFakeCapabilities(b), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(func() {
		m.shutdown()
		st.Close()
	})
	return &fixture{m: m, st: st, b: b}
}

var ctx = context.Background()

// settle waits until every start job of the manager has ended.
func (fx *fixture) settle() { fx.m.queue.wg.Wait() }

func (fx *fixture) get(t *testing.T, name string) store.Server {
	t.Helper()
	srv, err := fx.m.Get(ctx, "ns", name)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func (fx *fixture) create(t *testing.T, name string) store.Server {
	t.Helper()
	srv, err := fx.m.Create(ctx, "ns", form.Requester{UserID: "alice"}, form.Form{Name: name})
	if err != nil {
		t.Fatalf("Create(%s): %v", name, err)
	}
	return srv
}

// running creates a server and lets its start succeed.
func (fx *fixture) running(t *testing.T, name string) store.Server {
	t.Helper()
	fx.create(t, name)
	<-fx.b.started
	fx.b.release <- nil
	fx.settle()
	srv := fx.get(t, name)
	if srv.Phase != store.PhaseRunning {
		t.Fatalf("phase of %s = %s (%s), want running", name, srv.Phase, srv.Message)
	}
	return srv
}

func TestCreateStartsServer(t *testing.T) {
	fx := newFixture(t, 2)
	srv := fx.create(t, "lab")
	if srv.Phase != store.PhaseQueued {
		t.Errorf("Create phase = %s, want queued", srv.Phase)
	}
	<-fx.b.started
	fx.b.release <- nil
	fx.settle()
	srv = fx.get(t, "lab")
	if srv.Phase != store.PhaseRunning {
		t.Fatalf("phase after start = %s (%s), want running", srv.Phase, srv.Message)
	}
	route, err := fx.st.GetRoute(ctx, srv.Key())
	if err != nil || route.Token == "" || route.Namespace != "ns" || len(route.Token) != 64 {
		t.Errorf("route = %+v, %v; want a 64-char token and namespace ns", route, err)
	}
	if srv.StartedAt.IsZero() || srv.Instance == "" {
		t.Errorf("running record = %+v, want StartedAt and Instance", srv)
	}
	if _, err := fx.st.LastActivity(ctx, srv.Key()); err != nil {
		t.Errorf("LastActivity after start: %v, want a mark", err)
	}
	evs, _ := fx.m.Events(ctx, "ns", "lab")
	var reasons []string
	for _, e := range evs {
		reasons = append(reasons, e.Reason)
	}
	if got, want := strings.Join(reasons, ","), "Created,Queued,Starting,Launched,Started"; got != want {
		t.Errorf("events = %s, want %s", got, want)
	}
}

func TestCreateNameTaken(t *testing.T) {
	fx := newFixture(t, 2)
	fx.running(t, "lab")
	_, err := fx.m.Create(ctx, "ns", form.Requester{}, form.Form{Name: "lab"})
	var fe *form.FieldError
	if !errors.As(err, &fe) || fe.Code != "name.taken" || !errors.Is(err, store.ErrConflict) {
		t.Errorf("Create(taken) = %v, want FieldError name.taken wrapping ErrConflict", err)
	}
}

func TestConcurrentStartStartsOnce(t *testing.T) {
	fx := newFixture(t, 4)
	now := time.Now()
	if _, err := fx.st.CreateServer(ctx, store.Server{Namespace: "ns", Name: "lab", Phase: store.PhaseStopped,
		Spec: store.Spec{Image: "demo"}, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	// A second manager on the same store plays another replica.
	other := NewManager(fx.st, fx.b, testConfig(), WithOwner("r2"), withFakeCapabilities(fx.b), WithLogger(fx.m.log))
	defer other.shutdown()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		m := fx.m
		if i%2 == 1 {
			m = other
		}
		wg.Go(func() {
			_, err := m.Start(ctx, "ns", "lab")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Start: %v, want nil (idempotent)", err)
		}
	}
	<-fx.b.started
	fx.b.release <- nil
	fx.settle()
	other.queue.wg.Wait()
	if got := fx.b.startCount(store.Key{Namespace: "ns", Name: "lab"}); got != 1 {
		t.Errorf("backend starts = %d, want 1", got)
	}
}

func TestQueueLimitAndPosition(t *testing.T) {
	fx := newFixture(t, 1)
	fx.create(t, "a")
	first := <-fx.b.started
	fx.create(t, "b")
	fx.create(t, "c")
	if got := fx.get(t, "c"); got.Phase != store.PhaseQueued || got.Message != "waiting for 2 servers ahead" {
		t.Errorf("c = %s %q, want queued \"waiting for 2 servers ahead\"", got.Phase, got.Message)
	}
	if got := fx.get(t, "b"); got.Message != "waiting for 1 server ahead" {
		t.Errorf("b message = %q, want \"waiting for 1 server ahead\"", got.Message)
	}
	if first.Name != "a" {
		t.Errorf("first start = %s, want a", first.Name)
	}
	select {
	case k := <-fx.b.started:
		t.Fatalf("%s started while a holds the only slot", k)
	default:
	}
	fx.b.release <- nil
	if k := <-fx.b.started; k.Name != "b" {
		t.Errorf("second start = %s, want b", k.Name)
	}
	if got := fx.get(t, "c"); got.Message != "waiting for 1 server ahead" {
		t.Errorf("c message after a started = %q, want \"waiting for 1 server ahead\"", got.Message)
	}
	fx.b.release <- nil
	<-fx.b.started
	fx.b.release <- nil
	fx.settle()
	for _, n := range []string{"a", "b", "c"} {
		if got := fx.get(t, n).Phase; got != store.PhaseRunning {
			t.Errorf("%s phase = %s, want running", n, got)
		}
	}
}

func TestStartFailure(t *testing.T) {
	fx := newFixture(t, 1)
	fx.create(t, "lab")
	<-fx.b.started
	fx.b.release <- errors.New("image pull: not found")
	fx.settle()
	srv := fx.get(t, "lab")
	if srv.Phase != store.PhaseFailed || srv.Message != "image pull: not found" {
		t.Errorf("after failed start = %s %q, want failed with the reason", srv.Phase, srv.Message)
	}
	// Failed servers can be started again.
	if _, err := fx.m.Start(ctx, "ns", "lab"); err != nil {
		t.Fatal(err)
	}
	<-fx.b.started
	fx.b.release <- nil
	fx.settle()
	if got := fx.get(t, "lab").Phase; got != store.PhaseRunning {
		t.Errorf("restart phase = %s, want running", got)
	}
}

func TestStopRunning(t *testing.T) {
	fx := newFixture(t, 1)
	srv := fx.running(t, "lab")
	got, err := fx.m.Stop(ctx, "ns", "lab")
	if err != nil || got.Phase != store.PhaseStopped || got.Instance != "" || got.StoppedAt.IsZero() {
		t.Fatalf("Stop = %+v, %v; want stopped with no instance", got, err)
	}
	if _, err := fx.st.GetRoute(ctx, srv.Key()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("route after stop: %v, want ErrNotFound", err)
	}
	if n := len(fx.b.stops); n != 1 || fx.b.stops[0].Instance != srv.Instance {
		t.Errorf("backend stops = %+v, want one of %s", fx.b.stops, srv.Instance)
	}
	if again, err := fx.m.Stop(ctx, "ns", "lab"); err != nil || again.Version != got.Version {
		t.Errorf("second Stop = %v (version %d), want a no-op on version %d", err, again.Version, got.Version)
	}
}

func TestStopWhileStartingCancelsStart(t *testing.T) {
	fx := newFixture(t, 1)
	fx.create(t, "lab")
	<-fx.b.started // the fake now waits for release or cancellation
	got, err := fx.m.Stop(ctx, "ns", "lab")
	if err != nil || got.Phase != store.PhaseStopped {
		t.Fatalf("Stop while starting = %s, %v; want stopped", got.Phase, err)
	}
	fx.settle()
	if got := fx.get(t, "lab").Phase; got != store.PhaseStopped {
		t.Errorf("phase after the cancelled start ended = %s, want stopped", got)
	}
}

func TestStopQueuedLeavesQueue(t *testing.T) {
	fx := newFixture(t, 1)
	fx.create(t, "a")
	<-fx.b.started
	fx.create(t, "b")
	if got, err := fx.m.Stop(ctx, "ns", "b"); err != nil || got.Phase != store.PhaseStopped {
		t.Fatalf("Stop(queued) = %s, %v; want stopped", got.Phase, err)
	}
	fx.b.release <- nil
	fx.settle()
	if n := fx.b.startCount(store.Key{Namespace: "ns", Name: "b"}); n != 0 {
		t.Errorf("starts of b = %d, want 0", n)
	}
}

func TestDelete(t *testing.T) {
	fx := newFixture(t, 1)
	srv := fx.running(t, "lab")
	if err := fx.m.Delete(ctx, "ns", "lab", true); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.m.Get(ctx, "ns", "lab"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	if len(fx.b.deleted) != 1 || fx.b.deleted[0] != srv.Key() {
		t.Errorf("deleted volumes = %v, want [%s]", fx.b.deleted, srv.Key())
	}
	if len(fx.b.stops) != 1 {
		t.Errorf("backend stops = %d, want 1", len(fx.b.stops))
	}
}

func TestReconcileGoneInstance(t *testing.T) {
	fx := newFixture(t, 1)
	srv := fx.running(t, "lab")
	fx.b.mu.Lock()
	fx.b.dead[srv.Instance] = true
	fx.b.mu.Unlock()
	if err := fx.m.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	got := fx.get(t, "lab")
	if got.Phase != store.PhaseFailed || got.Message != "the server process is gone" || got.MessageCode != "gone" {
		t.Errorf("after reconcile = %s %q %q, want failed \"the server process is gone\" (gone)", got.Phase, got.Message, got.MessageCode)
	}
	if _, err := fx.st.GetRoute(ctx, srv.Key()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("route after reconcile: %v, want ErrNotFound", err)
	}
}

func TestReconcileRequeuesInterruptedStart(t *testing.T) {
	fx := newFixture(t, 1)
	now := time.Now()
	for _, s := range []store.Server{
		{Name: "mine", Phase: store.PhaseStarting, Owner: "r1"},
		{Name: "fresh", Phase: store.PhaseStarting, Owner: "r2"},
	} {
		s.Namespace, s.Spec, s.CreatedAt, s.UpdatedAt = "ns", store.Spec{Image: "demo"}, now, now
		if _, err := fx.st.CreateServer(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := fx.m.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if k := <-fx.b.started; k.Name != "mine" {
		t.Errorf("restarted %s, want mine", k.Name)
	}
	fx.b.release <- nil
	fx.settle()
	if got := fx.get(t, "mine").Phase; got != store.PhaseRunning {
		t.Errorf("mine = %s, want running", got)
	}
	if got := fx.get(t, "fresh"); got.Phase != store.PhaseStarting || got.Owner != "r2" {
		t.Errorf("fresh = %s owned by %s, want left to r2 (not stale)", got.Phase, got.Owner)
	}
	if len(fx.b.stops) != 1 || fx.b.stops[0].Name != "mine" {
		t.Errorf("stops = %v, want the half-started mine stopped first", fx.b.stops)
	}
}

func TestExitHandlerFails(t *testing.T) {
	fx := newFixture(t, 1)
	srv := fx.running(t, "lab")
	fx.b.onExit(srv.Key(), "other-instance", errors.New("ignored"))
	if got := fx.get(t, "lab").Phase; got != store.PhaseRunning {
		t.Errorf("exit of another instance: phase = %s, want running", got)
	}
	fx.b.onExit(srv.Key(), srv.Instance, Fail(Say("exited", "the server exited (exit status 1)", "status", "exit status 1"), nil))
	got := fx.get(t, "lab")
	if got.Phase != store.PhaseFailed || got.Message != "the server exited (exit status 1)" || got.MessageCode != "exited" {
		t.Errorf("after exit = %s %q %q, want failed with the reason and its code", got.Phase, got.Message, got.MessageCode)
	}
}

func TestRunShutdownRequeues(t *testing.T) {
	fx := newFixture(t, 1)
	ticks := make(chan time.Time)
	fx.m.ticks = ticks
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- fx.m.Run(rctx) }()
	ticks <- time.Now() // Run is past its first reconcile
	fx.create(t, "lab")
	<-fx.b.started
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if got := fx.get(t, "lab"); got.Phase != store.PhaseQueued || got.Owner != "r1" {
		t.Errorf("after shutdown = %s owned by %q, want queued owned by r1", got.Phase, got.Owner)
	}
}

func TestLaunchGeneratesName(t *testing.T) {
	fx := newFixture(t, 1)
	srv, err := fx.m.Launch(ctx, "ns", form.Requester{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.Name, "demo-") || form.ValidateName(srv.Name) != nil || srv.Phase != store.PhaseQueued {
		t.Errorf("Launch = %s %s, want a queued demo-xxxxx", srv.Name, srv.Phase)
	}
	if _, err := fx.m.Launch(ctx, "ns", form.Requester{}, "sas"); !errors.Is(err, form.ErrInvalidSpec) || fieldOf(err) != "image" {
		t.Errorf("Launch(forbidden sas) = %v, want an image FieldError", err)
	}
	<-fx.b.started
	fx.b.release <- nil
	fx.settle()
}

func TestImagesFor(t *testing.T) {
	fx := newFixture(t, 1)
	opts := fx.m.ImagesFor(form.Requester{Email: "a@example.com"})
	if len(opts) != 3 || !opts[0].Allowed || opts[2].Allowed || opts[2].Reason != "image.restricted" {
		t.Errorf("ImagesFor = %+v, want demo allowed and sas forbidden", opts)
	}
}
