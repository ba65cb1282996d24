package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/proxy"
	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/web"
)

// app is every part of a running replica, wired together.
type app struct {
	store   store.Store
	authn   *auth.Authenticator
	policy  *auth.Policy
	manager *spawner.Manager
	culler  *spawner.Culler
	backend func(context.Context) error // the backend's watches; nil for local
	proxy   *proxy.Proxy
	handler http.Handler
	// stopping is closed when shutdown begins: progress streams end.
	stopping chan struct{}
}

// serve runs one replica until ctx is done, then shuts down gracefully:
// in-flight requests finish, websockets are closed with "going away".
func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	reindex(ctx, st, log)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	origins, err := cfg.origins(ln.Addr())
	if err != nil {
		return err
	}
	a, err := build(ctx, cfg, st, origins, log)
	if err != nil {
		return err
	}
	if origins.SameOrigin() {
		log.Warn("insecureSameOriginWorkspaces: workspaces share the hub's origin; a page any workspace serves runs with its visitor's session")
	}
	log.Info("spawnhub listening", "url", "http://"+ln.Addr().String(), "hub", origins.Hub(),
		"workspaces", origins.Workspace("{ns}"), "store", cfg.Store.Driver,
		"backend", cfg.Spawner.Backend, "auth", cfg.Auth.Mode, "version", version)
	err = a.run(ctx, cfg, ln, log)
	if snap, ok := st.(snapshotter); ok { // drained: nothing changes any more
		err = errors.Join(err, snap.SaveFile(snapshotPath(cfg)))
	}
	return err
}

func (a *app) run(ctx context.Context, cfg Config, ln net.Listener, log *slog.Logger) error {
	srv, ln := newHTTPServer(a.handler, a.proxy.ServeFast, ln, cfg.Server, log)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.proxy.Run(gctx) })
	g.Go(func() error { return a.authn.Run(gctx) })
	g.Go(func() error { return a.policy.Run(gctx, a.store) })
	g.Go(func() error { return a.manager.Run(gctx) })
	g.Go(func() error { return a.culler.Run(gctx) })
	if snap, ok := a.store.(snapshotter); ok {
		g.Go(func() error { return saveSnapshots(gctx, snap, snapshotPath(cfg), log) })
	}
	if a.backend != nil {
		g.Go(func() error { return a.backend(gctx) })
	}
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	})
	g.Go(func() error { // ends when the replica is asked to stop or a part fails
		<-gctx.Done()
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		close(a.stopping)         // Shutdown would wait for every open stream
		a.proxy.CloseWebsockets() // Shutdown ignores hijacked connections
		return srv.Shutdown(sctx)
	})
	return g.Wait()
}

// build wires the parts of a replica.
func build(ctx context.Context, cfg Config, st store.Store, origins *auth.Origins, log *slog.Logger) (*app, error) {
	keys, err := cfg.sessionKeys()
	if err != nil {
		return nil, err
	}
	signer, err := auth.NewSigner(keys, cfg.Auth.SessionTTL, nil)
	if err != nil {
		return nil, err
	}
	publicURL, err := url.Parse(origins.Hub())
	if err != nil {
		return nil, err
	}
	secure := publicURL.Scheme == "https"
	cookies := auth.Cookies{Secure: secure}
	policy := auth.NewPolicy(cfg.Auth.Admins.Emails, cfg.Auth.Admins.Groups, st)
	authn := auth.NewAuthenticator(signer, st, policy, cookies, log)
	handshake := auth.NewHandshake(signer, st, origins)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), storeLatency)
	mgr, backendRun, err := newManager(cfg, st, log, reg, spawner.WithSpawnMetrics(spawner.NewSpawnMetrics(reg)))
	if err != nil {
		return nil, err
	}
	console := spawner.NewConsole(st, mgr, nil)
	reg.MustRegister(spawner.NewConsoleCollector(console))
	culler := mgr.NewCuller(cfg.Culling.spawner(), spawner.WithBusyProbe(spawner.KernelProbe{}),
		spawner.WithCullMetrics(spawner.NewCullMetrics(reg, mgr)))
	catalog, err := web.NewCatalog()
	if err != nil {
		return nil, err
	}
	tokensPerUser := func(ns string) int { return cfg.Quotas.For(ns).TokensPerUser }
	stopping := make(chan struct{})
	opts := web.Options{
		Origins: origins, WorkspaceSignIn: handshake, Stopping: stopping,
		Servers: mgr, Store: st, Auth: authn, Policy: policy, Catalog: catalog,
		Sessions: auth.NewSessions(st, signer, cookies, lowerKeys(cfg.Auth.Namespaces)),
		Tokens:   auth.NewTokens(st, tokensPerUser, log), Sharing: auth.NewSharing(st, policy, log),
		Logger: log, DevLogin: cfg.Auth.Mode == "dev", Secure: secure,
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Console: console, Requests: web.NewRequestMetrics(reg),
	}
	if cfg.Culling.Enabled {
		opts.Culling = culler
	}
	if cfg.Auth.Mode == "oidc" {
		sso, err := auth.NewOIDC(ctx, cfg.Auth.OIDC, oidcStateKey(keys[0]), secure, nil)
		if err != nil {
			return nil, fmt.Errorf("oidc: %w", err)
		}
		opts.SSO = sso
	}
	pages, err := web.New(opts)
	if err != nil {
		return nil, err
	}
	px := proxy.New(proxy.Options{
		Auth: authn, Access: policy, Routes: st, Activity: st, PubSub: st, Fallback: pages,
		Origins: origins, Handshake: handshake, Cookies: cookies, Errors: web.NewErrors(catalog, origins.Hub()), AnyHost: []string{"/healthz", "/readyz", "/metrics"},
		PublicURL: publicURL, LoginURL: "/login", Logger: log, Metrics: reg,
		RenewSession: func(w http.ResponseWriter, id auth.Identity) {
			if err := signer.Renew(w, id, cookies); err != nil {
				log.Warn("renew session", "err", err)
			}
		},
	})
	handler, err := rootHandler(px, pages, publicURL)
	if err != nil {
		return nil, err
	}
	policy.OnAccessChange(px.Recheck) // after the policy forgot the old sharing
	authn.OnRevoke(px.Revoked)        // after the authenticator forgot the credential
	return &app{store: st, authn: authn, policy: policy, manager: mgr, culler: culler, backend: backendRun, proxy: px, handler: handler, stopping: stopping}, nil
}

// rootHandler routes requests by host (the proxy's front door): the hub's
// pages and API to the web layer, workspace traffic to the proxy; all
// behind cross-origin protection for unsafe methods (the front door adds a
// stricter one on workspace origins: exactly their own origin).
func rootHandler(px *proxy.Proxy, pages http.Handler, publicURL *url.URL) (http.Handler, error) {
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(publicURL.Scheme + "://" + publicURL.Host); err != nil {
		return nil, fmt.Errorf("publicURL: %w", err)
	}
	return cop.Handler(px.FrontDoor(pages)), nil
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
}

func lowerKeys(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}
