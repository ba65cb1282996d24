// Package proxy serves every workspace under /notebook/<namespace>/<server>/.
// It authenticates each request, checks that the caller may use the
// namespace, finds the server's address in the route table (cached in
// memory and invalidated through the store's pub/sub), relays HTTP and
// websocket traffic, and records user activity in memory, flushing it to the
// store in batches. It knows nothing about how servers are started: requests
// for a server without a route go to a fallback handler.
package proxy

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/proxy/internal/h1"
	"github.com/spawnhub/spawnhub/store"
)

// Authenticator finds who sent a request (a session cookie or a Bearer
// token). It returns auth.ErrUnauthenticated when the request carries
// neither.
type Authenticator interface {
	// Authenticate reads the hub's session cookie or a token.
	Authenticate(r *http.Request) (auth.Identity, error)
	// AuthenticateWorkspace reads the session cookie of the workspace
	// origin whose host is given, or a token.
	AuthenticateWorkspace(r *http.Request, host string) (auth.Identity, error)
	// StillValid tells whether an identity's session or token still holds.
	StillValid(ctx context.Context, id auth.Identity) (bool, error)
}

// Access decides whether id may use the servers of namespace ns (connect
// through the proxy).
type Access interface {
	CanConnect(ctx context.Context, id auth.Identity, ns string) bool
}

// Routes tells the proxy where a running server listens; store.ErrNotFound
// if it is not running.
type Routes interface {
	GetRoute(ctx context.Context, key store.Key) (store.Route, error)
}

// Activity records when users last used their servers, and what they did.
type Activity interface {
	RecordActivity(ctx context.Context, marks map[store.Key]store.Mark) error
}

// Subscriber delivers the store's route invalidations (store.PubSub).
type Subscriber interface {
	Subscribe(ctx context.Context, topic string) (<-chan string, error)
}

// Options configures a Proxy. Auth, Access, Routes, Activity and PubSub are
// required; everything else has a default.
type Options struct {
	Auth     Authenticator
	Access   Access
	Routes   Routes
	Activity Activity
	PubSub   Subscriber
	// Origins are the hub's and the workspaces' origins; FrontDoor needs
	// them. Without, workspaces are served on whatever origin a request
	// names (tests, embedding).
	Origins *auth.Origins
	// AnyHost are paths the hub serves whatever the Host (health checks and
	// metrics, which kubelets and scrapers reach by the pod's address).
	AnyHost []string
	// Handshake and Cookies sign browsers in to workspace origins.
	Handshake Handshake
	Cookies   auth.Cookies
	// Errors writes error bodies in the caller's language; nil: English.
	Errors ErrorWriter
	// Fallback serves requests for servers that have no route (not
	// running). When nil the proxy answers 503 with a JSON body.
	Fallback http.Handler
	// PublicURL is the address users see. Websocket upgrades must come
	// from its origin; when nil, from the request's own scheme://Host. Its
	// scheme is also sent upstream as X-Forwarded-Proto.
	PublicURL *url.URL
	// LoginURL is where unauthenticated browsers are sent, with
	// ?next=<original path and query>. Default "/login".
	LoginURL string
	// RenewSession, when set, is called before a request is relayed, to
	// slide the caller's session forward (auth.Signer.Renew): people who
	// only work inside their server stay signed in.
	RenewSession func(w http.ResponseWriter, id auth.Identity)
	Logger       *slog.Logger
	// Metrics registers the proxy's Prometheus metrics when not nil.
	Metrics prometheus.Registerer

	// ActivityFlush is how often activity is written to the store
	// (default 5s); ActivityTick replaces it when not nil.
	ActivityFlush time.Duration
	ActivityTick  <-chan time.Time
	// PingInterval is how often websocket clients are pinged (default
	// 30s); PingTick replaces it when not nil. A client that answers no
	// ping (nor sends anything) for PongWait (default 75s) is dropped.
	PingInterval time.Duration
	PingTick     <-chan time.Time
	PongWait     time.Duration

	// DialTimeout bounds connecting to a server (default 10s) and
	// ResponseHeaderTimeout waiting for its answer (default 5m); past it
	// the client gets 504.
	DialTimeout           time.Duration
	ResponseHeaderTimeout time.Duration
	// Transport replaces the shared upstream transport (tests).
	Transport http.RoundTripper
	// StdTransport relays everything with net/http's http.Transport
	// instead of the lean HTTP/1.1 client (proxy/internal/h1): the way
	// back should the lean client misbehave with some server.
	StdTransport bool
	// DelayedAcks leaves the kernel's delayed ACKs on the connections to
	// workspaces instead of acknowledging each read at once (Linux
	// TCP_QUICKACK; see upstreamDial): a baseline for measurements.
	DelayedAcks bool

	// MaxMessageSize limits one websocket message (default 64 MiB).
	MaxMessageSize int64
	// WebsocketReadBuffer is no longer used: the relay reads websocket
	// bytes into pooled buffers that idle connections do not hold. It is
	// kept so that configurations setting it still load.
	WebsocketReadBuffer int
	// WriteTimeout bounds writing one websocket message or control frame
	// (default 30s).
	WriteTimeout time.Duration
}

// Proxy is the workspace proxy; it is an http.Handler. Run must be running
// for route caching, activity flushing and websocket pings.
type Proxy struct {
	opts      Options
	log       *slog.Logger
	cache     *routeCache
	activity  *activityLog
	conns     *registry
	metrics   *metrics
	transport http.RoundTripper
	lean      *h1.Transport   // the default transport; nil when replaced
	timed     timedTransports // for routes with their own timeout (presentation.go)
	buffers   *bufferPool
	upgrader  websocket.Upgrader
	origins   *auth.Origins
	errors    ErrorWriter
	origin    string // allowed websocket Origin when PublicURL is set
	fallback  http.Handler
	// forwardedProto is X-Forwarded-Proto, from PublicURL; "": the request's.
	forwardedProto string

	wsWriteBuffers sync.Pool
}

// New returns a Proxy; call Run to start its background work.
func New(opts Options) *Proxy {
	opts = withDefaults(opts)
	p := &Proxy{
		opts:     opts,
		log:      opts.Logger.With("component", "proxy"),
		cache:    newRouteCache(),
		activity: newActivityLog(),
		conns:    newRegistry(),
		metrics:  newMetrics(opts.Metrics),
		buffers:  newBufferPool(),
		fallback: opts.Fallback,
		origins:  opts.Origins,
		errors:   opts.Errors,
	}
	if p.errors == nil {
		p.errors = englishErrors{}
	}
	if p.fallback == nil {
		p.fallback = http.HandlerFunc(notRunning)
	}
	switch {
	case opts.Transport != nil:
		p.transport = opts.Transport
	case opts.StdTransport:
		p.transport = newStdTransport(opts, newDial(opts))
	default:
		p.lean = newTransport(opts)
		p.transport = p.lean
	}
	if opts.PublicURL != nil {
		p.origin = originOf(opts.PublicURL.Scheme, opts.PublicURL.Host)
		p.forwardedProto = opts.PublicURL.Scheme
	}
	p.conns.onCount = func(n int) { p.metrics.websockets.Set(float64(n)) }
	p.upgrader = p.newUpgrader()
	if opts.Metrics != nil {
		if err := p.metrics.register(opts.Metrics); err != nil {
			p.log.Warn("metrics not registered", "err", err)
		}
	}
	return p
}

func withDefaults(o Options) Options {
	if o.LoginURL == "" {
		o.LoginURL = "/login"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.ActivityFlush = orDefault(o.ActivityFlush, 5*time.Second)
	o.PingInterval = orDefault(o.PingInterval, 30*time.Second)
	o.PongWait = orDefault(o.PongWait, o.PingInterval*5/2)
	o.DialTimeout = orDefault(o.DialTimeout, 10*time.Second)
	o.ResponseHeaderTimeout = orDefault(o.ResponseHeaderTimeout, 5*time.Minute)
	o.WriteTimeout = orDefault(o.WriteTimeout, 30*time.Second)
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = 64 << 20
	}
	if o.WebsocketReadBuffer <= 0 {
		o.WebsocketReadBuffer = 1024
	}
	return o
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
