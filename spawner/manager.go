package spawner

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// Store is the part of store.Store the manager uses.
type Store interface {
	store.ServerStore
	store.RouteStore
	store.ActivityStore
	store.EventStore
	store.LeaseStore
	store.QueueStore
	store.PubSub
}

// Manager runs the lifecycle of servers: it validates spawn forms, queues
// servers in the start queue every replica shares, starts those it claims
// through a Backend with at most MaxConcurrentStarts starts at a time on
// this replica (fewer while the backend slows down), stops and deletes them, and repairs
// drift in Reconcile. Every transition is a compare-and-set on the record,
// so replicas sharing a store never act on one server twice. Callers have
// already checked that the user may act in the namespace.
type Manager struct {
	st         Store
	b          Backend
	vols       VolumeStore   // noVolumes when the backend has none
	exits      ExitNotifier  // nil: the backend does not report exits
	volDeleter VolumeDeleter // nil: the backend keeps nothing more to delete
	logs       LogReader     // nil: the backend keeps no logs
	cfg        form.Config
	quotas     form.Quotas
	log        *slog.Logger
	now        func() time.Time
	owner      string
	ticks      <-chan time.Time
	interval   time.Duration
	staleAfter time.Duration
	backend    string        // names the backend's queue in the store
	claimTTL   time.Duration // how long a dead replica's starts stay claimed

	spawnMetrics *SpawnMetrics // nil: not counted

	queue *startQueue // starts of this replica; closed when Run ends
	pace  *pace       // how many starts this replica runs at a time
	board *board      // the queue as the pages of queued servers see it
	recs  *records    // every record, as Reconcile sees them

	metrics  *queueMetrics
	registry prometheus.Registerer // nil: metrics are not registered

	mu       sync.Mutex
	stopping map[store.Key]bool // stops in progress on this replica
}

// An Option configures a Manager.
type Option func(*Manager)

// WithLogger sets the logger (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithClock sets the clock (default: time.Now).
func WithClock(now func() time.Time) Option { return func(m *Manager) { m.now = now } }

// WithOwner names this replica in the records it works on. Give a name that
// survives a restart (the pod or host name), so that a restarted replica
// resumes its own queued starts at once; the default is random, and then
// they resume only after StaleAfter.
func WithOwner(id string) Option { return func(m *Manager) { m.owner = id } }

// WithTicks makes Run reconcile on each tick instead of every interval.
func WithTicks(ticks <-chan time.Time) Option { return func(m *Manager) { m.ticks = ticks } }

// WithInterval sets how often Run reconciles (default 30s).
func WithInterval(d time.Duration) Option { return func(m *Manager) { m.interval = d } }

// WithExitNotifier has the manager told when a running instance ends by
// itself (default: it learns it in Reconcile, through Alive).
func WithExitNotifier(n ExitNotifier) Option { return func(m *Manager) { m.exits = n } }

// WithVolumeDeleter has Delete, asked to delete volumes, delete what the
// backend keeps for a server besides its volumes (a home folder, a log).
func WithVolumeDeleter(d VolumeDeleter) Option { return func(m *Manager) { m.volDeleter = d } }

// WithStaleAfter sets after how long without an update a Queued, Starting
// or Stopping record of another replica is taken over (default:
// StartTimeout + StopTimeout + 1m).
func WithStaleAfter(d time.Duration) Option { return func(m *Manager) { m.staleAfter = d } }

// WithBackendName names the backend's start queue in the store: replicas
// with the same name share one queue (default "default").
func WithBackendName(name string) Option { return func(m *Manager) { m.backend = name } }

// WithClaimTTL sets how long a start stays claimed by a replica that stops
// renewing it (it died) before another replica takes it (default 15s).
func WithClaimTTL(d time.Duration) Option { return func(m *Manager) { m.claimTTL = d } }

// NewManager returns a manager of the servers in st, run by b. What b can
// do besides running servers is given with options (WithVolumeStore,
// WithExitNotifier, WithVolumeDeleter, WithLogReader), each backend checking at compile
// time that it has what cmd wires. cfg must be valid.
func NewManager(st Store, b Backend, cfg form.Config, opts ...Option) *Manager {
	cfg = cfg.WithDefaults()
	m := &Manager{
		st: st, b: b, cfg: cfg,
		log: slog.Default(), now: time.Now, owner: "replica-" + newToken()[:8],
		interval:   30 * time.Second,
		staleAfter: cfg.StartTimeout + cfg.StopTimeout + time.Minute,
		stopping:   map[store.Key]bool{},
		backend:    "default", claimTTL: 15 * time.Second,
		recs: newRecords(),
	}
	for _, o := range opts {
		o(m)
	}
	if m.vols == nil {
		m.vols = noVolumes{}
	}
	m.log = m.log.With("component", "spawner", "replica", m.owner)
	m.pace = newPace(cfg.MaxConcurrentStarts)
	m.queue = newStartQueue(&startQueue{
		st: m.st, backend: m.backend, holder: m.owner, ttl: m.claimTTL, log: m.log,
		limits: store.QueueLimits{Pool: cfg.MaxStartsPerPool, Backend: cfg.MaxStartsPerBackend},
		limit:  m.pace.limit, run: m.startServer,
	})
	m.board = newBoard(func(ctx context.Context) (store.QueueView, error) { return m.st.View(ctx, m.backend) }, m.log)
	m.metrics = newQueueMetrics(m)
	if m.registry != nil {
		if err := m.metrics.register(m.registry); err != nil {
			m.log.Warn("spawner metrics not registered", "err", err)
		}
	}
	if m.exits != nil {
		m.exits.SetExitHandler(m.handleExit)
	}
	return m
}

// Config returns the configuration with defaults applied.
func (m *Manager) Config() form.Config { return m.cfg }

// Get returns a server, a Queued one with its place in the queue in its
// message; store.ErrNotFound if there is none.
func (m *Manager) Get(ctx context.Context, ns, name string) (store.Server, error) {
	srv, err := m.record(ctx, ns, name)
	if err != nil {
		return store.Server{}, err
	}
	return m.withPlace(ctx, srv), nil
}

// record returns the server's record as stored.
func (m *Manager) record(ctx context.Context, ns, name string) (store.Server, error) {
	srv, err := m.st.GetServer(ctx, ns, name)
	if err != nil {
		return store.Server{}, fmt.Errorf("get server %s/%s: %w", ns, name, err)
	}
	return srv, nil
}

// List returns the servers of a namespace, sorted by name; ns == "" lists
// every namespace (admin).
func (m *Manager) List(ctx context.Context, ns string) ([]store.Server, error) {
	srvs, err := m.st.ListServers(ctx, ns)
	if err != nil {
		return nil, fmt.Errorf("list servers of %q: %w", ns, err)
	}
	for i, srv := range srvs {
		srvs[i] = m.withPlace(ctx, srv)
	}
	return srvs, nil
}

// Events returns a server's events, oldest first.
func (m *Manager) Events(ctx context.Context, ns, name string) ([]store.Event, error) {
	if _, err := m.record(ctx, ns, name); err != nil {
		return nil, err
	}
	evs, err := m.st.ListEvents(ctx, store.Key{Namespace: ns, Name: name})
	if err != nil {
		return nil, fmt.Errorf("list events of %s/%s: %w", ns, name, err)
	}
	return evs, nil
}

// ImagesFor returns the catalogue as offered to who.
func (m *Manager) ImagesFor(who form.Requester) []form.ImageOption { return m.cfg.ImagesFor(who) }

// update writes srv with a compare-and-set on its version.
func (m *Manager) update(ctx context.Context, srv store.Server) (store.Server, error) {
	srv.UpdatedAt = m.now()
	out, err := m.st.UpdateServer(ctx, srv)
	if err != nil {
		return store.Server{}, fmt.Errorf("update server %s to %s: %w", srv.Key(), srv.Phase, err)
	}
	return out, nil
}

// say appends an event that says s; a failure is only logged.
func (m *Manager) say(ctx context.Context, key store.Key, typ, reason string, s Said) {
	e := s.Event(typ, reason)
	e.Time = m.now()
	if err := m.st.AppendEvent(ctx, key, e); err != nil {
		m.log.WarnContext(ctx, "event not recorded", "server", key.String(), "reason", reason, "err", err)
	}
}

// writeCtx is for writes that must happen even when the request or the
// start that caused them is cancelled.
func (m *Manager) writeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}
