// Package web serves everything people and scripts see besides workspace
// traffic: the pages (landing, login, "not running — start it?"), the JSON
// API under /api/v1, the progress stream (SSE), health and metrics. It
// authorizes every call through auth's policy and turns domain errors into
// HTTP in one error handler. It starts nothing itself: it asks the spawner.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// Servers is the spawner's lifecycle and volumes, as the web layer uses
// them. The caller has already been authorized for the namespace.
type Servers interface {
	Create(ctx context.Context, ns string, who form.Requester, f form.Form) (store.Server, error)
	Launch(ctx context.Context, ns string, who form.Requester, imageID string) (store.Server, error)
	LaunchNew(ctx context.Context, ns string, who form.Requester, imageID string) (store.Server, error)
	Start(ctx context.Context, ns, name string) (store.Server, error)
	Stop(ctx context.Context, ns, name string) (store.Server, error)
	Delete(ctx context.Context, ns, name string, deleteVolumes bool) error
	Get(ctx context.Context, ns, name string) (store.Server, error)
	// WatchQueue signals each move of the start queue as this replica
	// sees it; InQueueView places a Queued server in that view.
	WatchQueue(ctx context.Context) <-chan struct{}
	InQueueView(s store.Server) store.Server
	List(ctx context.Context, ns string) ([]store.Server, error)
	Events(ctx context.Context, ns, name string) ([]store.Event, error)
	Logs(ctx context.Context, ns, name string) ([]byte, error) // spawner.ErrNoLogs when there are none
	ImagesFor(who form.Requester) []form.ImageOption
	Config() form.Config // the form's policy
	Volumes(ctx context.Context, ns string) ([]spawner.VolumeInfo, error)
	CreateVolume(ctx context.Context, ns, name, size string) (spawner.VolumeInfo, error)
	DeleteVolume(ctx context.Context, ns, name string) error
}

// Store is the shared state pages read directly: namespaces (whether one
// exists, its contributors), activity, change notifications, and health.
type Store interface {
	GetNamespace(ctx context.Context, name string) (store.Namespace, error)
	Activities(ctx context.Context, keys []store.Key) (map[store.Key]store.Activity, error)
	Subscribe(ctx context.Context, topic string) (<-chan string, error)
	Ping(ctx context.Context) error
}

// Access decides what the caller may do in a namespace (auth.Policy).
type Access interface {
	Role(ctx context.Context, id auth.Identity, ns string) (auth.Role, error)
	CanConnect(ctx context.Context, id auth.Identity, ns string) bool
}

// Sessions signs people in and out and keeps their sessions alive
// (auth.Sessions); it writes the session cookies.
type Sessions interface {
	SignIn(ctx context.Context, w http.ResponseWriter, id auth.Identity) (auth.Identity, error)
	Renew(w http.ResponseWriter, id auth.Identity) error
	SignOut(ctx context.Context, w http.ResponseWriter, id auth.Identity) error
}

// Tokens issues, lists and revokes the caller's API tokens (auth.Tokens).
type Tokens interface {
	Create(ctx context.Context, id auth.Identity, req auth.TokenRequest) (t store.Token, secret string, err error)
	List(ctx context.Context, userID string) ([]store.Token, error)
	Delete(ctx context.Context, userID, tokenID string) error
}

// Sharing is who namespaces are shared with (auth.Sharing).
type Sharing interface {
	Memberships(ctx context.Context, id auth.Identity) ([]auth.Membership, error)
	SetContributor(ctx context.Context, by auth.Identity, ns, user, role string) (store.Namespace, error)
	RemoveContributor(ctx context.Context, by auth.Identity, ns, user string) (store.Namespace, error)
}

// Authenticator finds who sent a request.
type Authenticator interface {
	Authenticate(r *http.Request) (auth.Identity, error)
}

// WorkspaceOrigins knows each namespace's workspace origin (auth.Origins).
type WorkspaceOrigins interface {
	Workspace(ns string) string // scheme://host
}

// WorkspaceSignIn is the hub's side of a workspace origin's sign-in
// (auth.Handshake).
type WorkspaceSignIn interface {
	ParseNext(next string) (ns, pathQuery string, err error)
	Begin(ctx context.Context, id auth.Identity, ns, pathQuery, state string) (string, error)
}

// SingleSignOn is the OpenID Connect login (auth.OIDC).
type SingleSignOn interface {
	Begin(w http.ResponseWriter, r *http.Request, next string) (string, error)
	Finish(w http.ResponseWriter, r *http.Request) (auth.Identity, string, error)
}

// Options configures the web layer.
type Options struct {
	Servers  Servers
	Store    Store
	Auth     Authenticator
	Policy   Access
	Sessions Sessions
	Tokens   Tokens
	Sharing  Sharing
	Catalog  *Catalog
	Logger   *slog.Logger
	DevLogin bool // the development login (pick a user name) is enabled
	// SSO, when set, is how people sign in (GET /login redirects to the
	// provider); it replaces the development login.
	SSO    SingleSignOn
	Secure bool // the site is served over TLS: the language cookie gets Secure
	// Origins tells where each namespace's workspaces are served; the
	// server URLs of pages and the API point there.
	Origins WorkspaceOrigins
	// WorkspaceSignIn signs browsers in to workspace origins (/authorize).
	WorkspaceSignIn WorkspaceSignIn
	// Stopping is closed when the replica shuts down: long-lived responses
	// (progress streams) end then, so that shutdown does not wait for them.
	Stopping <-chan struct{}
	// Metrics serves /metrics; nil serves nothing there.
	Metrics http.Handler
	// Culling is the idle culler (POST /api/v1/admin/cull, "keep it
	// running"); nil when culling is off.
	Culling Culling
	// Requests counts the requests by route and status; nil counts none.
	Requests *RequestMetrics
	// Console is the administrators' console (/admin and /api/v1/admin);
	// nil serves 404 there.
	Console Console
	// Now is the clock of "active 3 min ago" (default time.Now).
	Now func() time.Time
}

// Web holds the handlers.
type Web struct {
	opts    Options
	log     *slog.Logger
	servers Servers
	store   Store
	pages   *pages
	changes *serverChanges // for the progress streams
}

// New returns the echo application serving every route but workspace
// traffic.
func New(opts Options) (*echo.Echo, error) {
	p, err := loadPages(opts.Catalog)
	if err != nil {
		return nil, err
	}
	w := &Web{
		opts: opts, log: opts.Logger.With("component", "web"),
		servers: opts.Servers, store: opts.Store, pages: p,
	}
	w.changes = newServerChanges(opts.Store, w.log)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = w.handleError
	e.Use(w.recoverPanics)
	if opts.Requests != nil {
		e.Use(opts.Requests.middleware)
	}
	w.routes(e)
	return e, nil
}

func (w *Web) routes(e *echo.Echo) {
	e.GET("/healthz", w.healthz)
	e.GET("/readyz", w.readyz)
	if w.opts.Metrics != nil {
		e.GET("/metrics", echo.WrapHandler(w.opts.Metrics))
	}
	e.GET("/static/*", w.static)
	e.GET("/favicon.ico", w.favicon)
	e.GET("/login", w.loginPage)
	e.POST("/login", w.devLogin)
	e.GET("/oauth2/callback", w.ssoCallback)
	e.POST("/logout", w.logout)

	page := e.Group("", w.requirePageUser)
	page.GET("/", w.landingPage)
	page.GET(auth.AuthorizePath, w.authorize)
	page.GET("/admin", w.adminPage, w.requireAdmin) // admin console
	page.POST("/admin/stop/preview", w.adminStopPreview, w.requireAdmin)
	page.POST("/admin/stop", w.adminStopConfirm, w.requireAdmin)
	page.GET("/namespaces/:ns/contributors", w.contributorsPage, w.requireRole(auth.RoleOwner))
	page.GET("/namespaces/:ns/new", w.newServerPage, w.requireRole(auth.RoleEdit))
	page.GET("/namespaces/:ns/volumes", w.volumesPage, w.requireRole(auth.RoleView))
	page.GET("/namespaces/:ns/servers/:name", w.serverPage, w.requireRole(auth.RoleView))
	page.GET("/namespaces/:ns/servers/:name/progress", w.progressPage, w.requireRole(auth.RoleView))
	page.GET("/tokens", w.tokensPage)
	page.GET(store.WorkspacePrefix+":ns/:name/*", w.notRunningPage)
	page.GET(store.WorkspacePrefix+":ns/:name", w.notRunningPage)
	unsafe := []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	e.Match(unsafe, store.WorkspacePrefix+":ns/:name/*", w.notRunningOther, w.requireAPIUser)

	api := e.Group("/api/v1", noStore, w.requireAPIUser)
	api.GET("/me", w.me)
	api.GET("/config", w.config)
	api.GET("/tokens", w.listTokens)
	api.POST("/tokens", w.createToken)
	api.DELETE("/tokens/:id", w.deleteToken)
	api.GET("/admin/servers", w.adminServers, w.requireAdmin) // admin console
	api.POST("/admin/stop", w.adminStop, w.requireAdmin)
	api.GET("/admin/usage", w.adminUsage, w.requireAdmin)
	api.POST("/admin/cull", w.adminCull, w.requireAdmin) // culling
	api.GET("/namespaces", w.listNamespaces)

	ns := api.Group("/namespaces/:ns", w.requireRole(auth.RoleView))
	ns.GET("/servers", w.listServers)
	ns.GET("/volumes", w.listVolumes)
	ns.GET("/servers/:name", w.getServer)
	ns.GET("/servers/:name/events", w.serverEvents)
	ns.GET("/servers/:name/progress", w.serverProgress)
	ns.GET("/servers/:name/logs", w.serverLogs, w.requireRole(auth.RoleEdit))
	ns.GET("/contributors", w.listContributors)
	owner := ns.Group("", w.requireRole(auth.RoleOwner))
	owner.POST("/contributors", w.addContributor)
	owner.DELETE("/contributors/:user", w.removeContributor)
	edit := ns.Group("", w.requireRole(auth.RoleEdit))
	edit.POST("/servers", w.createServer)
	edit.POST("/launch", w.launch)
	edit.POST("/servers/:name/start", w.startServer)
	edit.POST("/servers/:name/stop", w.stopServer)
	edit.POST("/servers/:name/keep", w.keepRunning) // culling: "keep it running"
	edit.DELETE("/servers/:name", w.deleteServer)
	edit.POST("/volumes", w.createVolume)
	edit.DELETE("/volumes/:volume", w.deleteVolume)
}

func (w *Web) healthz(c echo.Context) error { return c.String(http.StatusOK, "ok") }

func (w *Web) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := w.store.Ping(ctx); err != nil {
		return c.JSON(http.StatusServiceUnavailable, apiError{Error: "store unavailable"})
	}
	return c.String(http.StatusOK, "ok")
}
