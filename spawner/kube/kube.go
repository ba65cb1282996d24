// Package kube runs each server as a Pod in its namespace, for production.
// It owns the Kubernetes objects of a server: the Pod (named after the
// server, labelled app.kubernetes.io/managed-by=spawnhub and
// spawnhub.io/server=<name>), a Secret holding the per-server token the
// proxy injects, and the PersistentVolumeClaims (<server>-workspace, data
// volumes) that outlive the pod. Objects are created with a server-side
// dry run first, so that a spec the API server refuses creates nothing.
//
// Status comes from one shared pod informer for every managed pod, never a
// poll per server: Start waits on it until the pod is Running and Ready,
// and fails fast on image pull errors, crash loops, unschedulable pods and
// quota refusals. A second informer copies the Kubernetes events of the
// pods and their claims into the server's events in the store, where they
// outlive Kubernetes' one-hour expiry. Pods that end or disappear without
// a Stop are reported to the exit handler, and Sweep deletes managed pods
// whose record says nothing should run.
package kube

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listerscorev1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

// Labels on every object the backend creates.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "spawnhub"
	LabelServer    = "spawnhub.io/server"
)

// managedSelector selects every object of ours.
const managedSelector = LabelManagedBy + "=" + ManagedBy

// EventSink keeps a server's events (store.EventStore satisfies it).
type EventSink interface {
	AppendEvent(ctx context.Context, key store.Key, e store.Event) error
}

// Leases elects the one replica that copies Kubernetes events, so that
// replicas sharing a store do not copy each event once each
// (store.LeaseStore satisfies it).
type Leases interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
}

// Records reads server records, for Sweep (store.ServerStore satisfies it).
type Records interface {
	GetServer(ctx context.Context, ns, name string) (store.Server, error)
}

// Options configure a Backend: the configuration plus what it talks to.
type Options struct {
	Config
	// RESTConfig reaches the API server; nil builds one from
	// Config.Kubeconfig, or the in-cluster configuration when that is empty.
	RESTConfig *rest.Config
	// Events receives the copied Kubernetes events; nil copies none.
	Events EventSink
	// Leases, with Identity naming this replica, elects the event copier;
	// nil means this replica always copies.
	Leases   Leases
	Identity string
	// Records enables Sweep; nil disables it.
	Records Records
	// Ticks drive the lease renewal and Sweep in Run; nil uses a ticker
	// every LeaseTTL/3.
	Ticks  <-chan time.Time
	Logger *slog.Logger
}

// Defaults for zero configuration fields.
const (
	DefaultPort       = 8888
	DefaultHomePath   = "/home/jovyan"
	DefaultRunAsUser  = 1000
	DefaultFSGroup    = 100
	DefaultPullPolicy = corev1.PullIfNotPresent
	DefaultGPUKey     = "nvidia.com/gpu"
	// LeaseTTL is how long the event copier's lease lasts unrenewed.
	LeaseTTL = 30 * time.Second
	// eventsLease names the event copier's lease.
	eventsLease = "kube-events"
)

// Backend is the Kubernetes backend; it implements spawner.Backend,
// spawner.ExitNotifier, spawner.VolumeDeleter and spawner.VolumeStore.
type Backend struct {
	o      Options
	client kubernetes.Interface
	log    *slog.Logger

	pods    informers.SharedInformerFactory // managed pods, all namespaces
	events  informers.SharedInformerFactory // events, all namespaces
	podList listerscorev1.PodLister
	synced  chan struct{} // closed once the pod cache is filled

	mu       sync.Mutex
	onExit   spawner.ExitHandler
	waiters  map[store.Key]map[chan struct{}]bool // Start and Stop waiting on a pod
	keys     map[types.UID]store.Key              // managed pods seen, for events
	seen     map[types.UID]int32                  // event counts already handled
	copying  bool                                 // this replica holds the events lease
	since    time.Time                            // events before this were copied by an earlier run
	reported map[types.UID]bool                   // pods whose end was reported
	guarded  map[string]bool                      // namespaces whose NetworkPolicy exists
}

// The capabilities cmd gives the manager, checked here at compile time.
var (
	_ spawner.Backend       = (*Backend)(nil)
	_ spawner.ExitNotifier  = (*Backend)(nil)
	_ spawner.VolumeStore   = (*Backend)(nil)
	_ spawner.VolumeDeleter = (*Backend)(nil)
	_ spawner.LogReader     = (*Backend)(nil)
)

// New returns a backend; Run must run for Start, Stop and Alive to work.
func New(o Options) (*Backend, error) {
	if err := o.Config.Validate(); err != nil {
		return nil, fmt.Errorf("kube backend: %w", err)
	}
	o.Config = o.Config.withDefaults()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	rc, err := restConfig(o)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kube backend: client: %w", err)
	}
	return newBackend(o, client), nil
}

func restConfig(o Options) (*rest.Config, error) {
	var rc *rest.Config
	var err error
	switch {
	case o.RESTConfig != nil:
		rc = rest.CopyConfig(o.RESTConfig)
	case o.Kubeconfig != "":
		rc, err = clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	default:
		rc, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("kube backend: API server configuration: %w", err)
	}
	rc.UserAgent = "spawnhub"
	rc.QPS, rc.Burst = o.Config.QPS, o.Config.Burst
	return rc, nil
}

func newBackend(o Options, client kubernetes.Interface) *Backend {
	b := &Backend{
		o: o, client: client, log: o.Logger.With("component", "kube-backend"),
		synced:   make(chan struct{}),
		waiters:  map[store.Key]map[chan struct{}]bool{},
		keys:     map[types.UID]store.Key{},
		seen:     map[types.UID]int32{},
		reported: map[types.UID]bool{},
		guarded:  map[string]bool{},
		copying:  o.Leases == nil,
	}
	b.pods = informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = managedSelector }))
	b.podList = b.pods.Core().V1().Pods().Lister()
	b.events = informers.NewSharedInformerFactory(client, 0)
	return b
}

// Client is the clientset the backend uses.
func (b *Backend) Client() kubernetes.Interface { return b.client }

// SetExitHandler implements spawner.ExitNotifier.
func (b *Backend) SetExitHandler(h spawner.ExitHandler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onExit = h
}

// Run watches pods and events until ctx is done, renews the event copier's
// lease and sweeps orphan pods on every tick. It first checks its
// permissions and returns an error naming the missing ones. It returns nil
// when ctx ends. Run runs at most once.
func (b *Backend) Run(ctx context.Context) error {
	if err := b.CheckAccess(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	b.since = time.Now().Truncate(time.Second)
	b.mu.Unlock()
	if err := b.watchPods(); err != nil {
		return err
	}
	if b.o.Events != nil {
		if err := b.watchEvents(); err != nil {
			return err
		}
	}
	b.pods.Start(ctx.Done())
	b.events.Start(ctx.Done())
	defer b.pods.Shutdown()   // waits for the informers' goroutines
	defer b.events.Shutdown() // likewise
	if err := b.waitSynced(ctx); err != nil {
		return err
	}
	close(b.synced)
	b.log.Info("watching pods", "selector", managedSelector)
	return b.loop(ctx)
}

// waitSynced fills the caches, reporting list errors (RBAC) clearly.
func (b *Backend) waitSynced(ctx context.Context) error {
	for typ, ok := range b.pods.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return b.syncError(ctx, "pods", typ.String())
		}
	}
	for typ, ok := range b.events.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return b.syncError(ctx, "events", typ.String())
		}
	}
	return nil
}

func (b *Backend) syncError(ctx context.Context, what, typ string) error {
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("kube backend: %s cache (%s) not filled", what, typ)
}

// loop renews the lease and sweeps on every tick until ctx is done.
func (b *Backend) loop(ctx context.Context) error {
	ticks := b.o.Ticks
	if ticks == nil {
		t := time.NewTicker(LeaseTTL / 3)
		defer t.Stop()
		ticks = t.C
	}
	b.renewLease(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
			b.renewLease(ctx)
			if err := b.Sweep(ctx); err != nil && ctx.Err() == nil {
				b.log.Warn("sweep", "err", err)
			}
		}
	}
}

func (b *Backend) renewLease(ctx context.Context) {
	if b.o.Leases == nil || b.o.Events == nil {
		return
	}
	ok, err := b.o.Leases.AcquireLease(ctx, eventsLease, b.o.Identity, LeaseTTL)
	if err != nil {
		b.log.Warn("events lease", "err", err)
		ok = false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok != b.copying {
		b.log.Info("event copier", "active", ok)
	}
	b.copying = ok
}

// ready waits until Run has filled the pod cache.
func (b *Backend) ready(ctx context.Context) error {
	select {
	case <-b.synced:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("kube backend: pod cache not ready (is Run running?): %w", ctx.Err())
	}
}
