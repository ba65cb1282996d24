package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"syscall"
	"time"
)

// Target names, in the order they are measured.
const (
	targetDirect   = "direct"
	targetSpawnhub = "spawnhub"
	targetNginx    = "nginx"
	targetCHP      = "configurable-http-proxy"
)

// Options choose what a run measures besides direct access and spawnhub.
type Options struct {
	Settings
	Spawnhub string // a built spawnhub binary; empty: build one
	Nginx    bool
	CHP      bool
}

// run starts spawnhub with the tool's backend and the reference proxies,
// then measures them all (measureAll); it stops every process it started
// before returning.
func run(ctx context.Context, o Options, log *slog.Logger) (Report, error) {
	rep := Report{CPUs: runtime.NumCPU(), Settings: o.Settings, Skipped: map[string]string{}}
	if err := fitFileLimit(&rep.Settings, log); err != nil {
		return rep, err
	}
	s := rep.Settings
	dir, err := os.MkdirTemp("", "spawnhub-bench-")
	if err != nil {
		return rep, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // nginx workers may run as nobody
		return rep, fmt.Errorf("temp dir: %w", err)
	}
	bin := o.Spawnhub
	if bin == "" {
		log.Info("building spawnhub")
		if bin, err = buildSpawnhub(ctx, dir); err != nil {
			return rep, err
		}
	}
	log.Info("starting spawnhub and launching the backend")
	h, err := startHub(ctx, bin, dir)
	if err != nil {
		return rep, err
	}
	defer h.close()
	b := bench{s: s, direct: "http://" + h.backend.Addr, backend: procGroup{h.backend.PID},
		path: h.workspace(), header: http.Header{"Cookie": {h.cookie}}, log: log}
	ts := []target{
		{name: targetDirect, base: b.direct},
		{name: targetSpawnhub, base: h.wsBase, proxy: procGroup{h.proc.pid()}, header: http.Header{"Cookie": {h.wsCookie}}},
	}
	if o.Nginx {
		ts = withProxy(&rep, ts, targetNginx, nginxInstall, func() (*process, string, error) {
			return startNginx(dir, h.backend.Addr, max(s.Idle, s.Conns)+16)
		})
	}
	if o.CHP {
		ts = withProxy(&rep, ts, targetCHP, chpInstall, func() (*process, string, error) {
			return startCHP(dir, h.backend.Addr)
		})
	}
	defer func() {
		for _, t := range ts {
			if t.stop != nil {
				t.stop()
			}
		}
	}()
	rep.Results = append(rep.Results, b.measureAll(ctx, ts)...)
	return rep, ctx.Err()
}

// withProxy starts a reference proxy and adds it to ts (its stop with it);
// one that fails is reported as failed, one that is not installed as
// skipped with how to install it.
func withProxy(rep *Report, ts []target, name, install string, start func() (*process, string, error)) []target {
	p, base, err := start()
	switch {
	case err != nil:
		rep.Results = append(rep.Results, Result{Target: name, Error: err.Error()})
		return ts
	case p == nil:
		rep.Skipped[name] = "not installed; install with: " + install
		return ts
	}
	return append(ts, target{name: name, base: base, proxy: withChildren(p.pid()),
		stop: func() { p.stop(syscall.SIGTERM, 10*time.Second) }})
}

// fitFileLimit raises the open-files limit (inherited by spawnhub and the
// proxies) and lowers the idle websocket count if it still does not fit:
// a proxy holds two descriptors per websocket.
func fitFileLimit(s *Settings, log *slog.Logger) error {
	limit, err := raiseFileLimit()
	if err != nil {
		return err
	}
	if fit := (int(limit) - 256) / 2; s.Idle > fit {
		log.Warn("fewer idle websockets: open files limit", "limit", limit, "idle", fit)
		s.Idle = max(fit, 0)
	}
	return nil
}
