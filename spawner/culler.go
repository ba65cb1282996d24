package spawner

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// Culler stops idle and old servers. Every replica runs one: each sweep
// decides every server that is due, and acts on each under a lease of its
// own and a compare-and-set on its record, so that a server is warned once
// and culled once however many replicas sweep. A cull is a Stop: the spec
// and volumes stay, and Start brings the server back.
type Culler struct {
	m       *Manager
	cfg     CullConfig
	probe   BusyProbe // nil: kernels are not asked
	metrics *CullMetrics
	now     func() time.Time
	ticks   <-chan time.Time
	log     *slog.Logger
}

// BusyProbe asks a running server whether it is computing (a Jupyter
// kernel busy with a long, silent cell). An error means "unknown": the
// server is then not culled in this sweep.
type BusyProbe interface {
	Busy(ctx context.Context, key store.Key, r store.Route) (bool, error)
}

// A CullOption configures a Culler.
type CullOption func(*Culler)

// WithCullTicks makes Run sweep on each tick instead of every interval.
func WithCullTicks(t <-chan time.Time) CullOption { return func(c *Culler) { c.ticks = t } }

// WithBusyProbe has the culler ask Jupyter servers about busy kernels.
func WithBusyProbe(p BusyProbe) CullOption { return func(c *Culler) { c.probe = p } }

// WithCullMetrics has the culler count warnings, culls and probe failures.
func WithCullMetrics(mt *CullMetrics) CullOption { return func(c *Culler) { c.metrics = mt } }

// NewCuller returns the culler of m's servers; it uses m's clock.
func (m *Manager) NewCuller(cfg CullConfig, opts ...CullOption) *Culler {
	c := &Culler{m: m, cfg: cfg.withDefaults(), now: m.now, log: m.log.With("component", "culler")}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Config is the culler's configuration, with defaults.
func (c *Culler) Config() CullConfig { return c.cfg }

// Run sweeps every interval (or tick) until ctx is done, then returns nil.
// A disabled culler only waits.
func (c *Culler) Run(ctx context.Context) error {
	if !c.cfg.Enabled {
		<-ctx.Done()
		return nil
	}
	ticks := c.ticks
	if ticks == nil {
		t := time.NewTicker(c.cfg.Interval)
		defer t.Stop()
		ticks = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
			if _, err := c.Sweep(ctx, false); err != nil && ctx.Err() == nil {
				c.log.WarnContext(ctx, "cull sweep", "err", err)
			}
		}
	}
}

// Sweep decides every running server that is due and returns the
// decisions, oldest activity first. Unless dryRun (or culling.dryRun), it
// warns and culls as decided. Busy servers and servers whose probe failed
// are left out.
func (c *Culler) Sweep(ctx context.Context, dryRun bool) ([]CullDecision, error) {
	now := c.now()
	cands, err := c.candidates(ctx, now)
	if err != nil {
		return nil, err
	}
	var out []CullDecision
	for _, cand := range cands {
		d, ok := c.cfg.decide(now, cand.srv, cand.act)
		if !ok || !c.stillIdle(ctx, cand, d, dryRun) {
			continue
		}
		out = append(out, d)
		if !dryRun && !c.cfg.DryRun {
			c.apply(ctx, d)
		}
	}
	c.metrics.idle(len(out))
	return out, nil
}

// stillIdle asks a Jupyter server due for an idle cull about busy
// kernels: a busy kernel is activity now (recorded, unless dryRun); a
// failed probe keeps the server for this sweep.
func (c *Culler) stillIdle(ctx context.Context, cand candidate, d CullDecision, dryRun bool) bool {
	if c.probe == nil || d.Reason != store.CullIdle || cand.srv.Spec.Kind != "jupyter" {
		return true
	}
	key := cand.srv.Key()
	r, err := c.m.st.GetRoute(ctx, key)
	busy := false
	if err == nil {
		busy, err = c.probe.Busy(ctx, key, r)
	}
	if err != nil {
		c.metrics.probeFailed()
		c.log.InfoContext(ctx, "activity probe failed; not culled", "server", key.String(), "err", err)
		return false
	}
	if busy && !dryRun && !c.cfg.DryRun {
		mark := map[store.Key]store.Mark{key: {At: c.now(), Source: store.SourceBusy}}
		if err := c.m.st.RecordActivity(ctx, mark); err != nil {
			c.log.WarnContext(ctx, "busy kernel not recorded", "server", key.String(), "err", err)
		}
	}
	return !busy
}

// candidate is a running server that may be due, with its activity.
type candidate struct {
	srv store.Server
	act store.Activity
}

// candidates finds the running servers that may be due: those idle longer
// than the shortest idle timeout less WarnBefore (one range query on the
// activity set), and with maxAge those started long enough ago.
func (c *Culler) candidates(ctx context.Context, now time.Time) ([]candidate, error) {
	keys, err := c.idleKeys(ctx, now)
	if err != nil {
		return nil, err
	}
	var out []candidate
	seen := make(map[store.Key]bool, len(keys))
	acts, err := c.m.st.Activities(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("cull: %w", err)
	}
	for _, key := range keys {
		srv, err := c.m.st.GetServer(ctx, key.Namespace, key.Name)
		if err != nil || srv.Phase != store.PhaseRunning {
			continue // gone or stopped meanwhile
		}
		seen[key] = true
		out = append(out, candidate{srv: srv, act: acts[key]})
	}
	old, err := c.oldServers(ctx, now, seen)
	return append(out, old...), err
}

func (c *Culler) idleKeys(ctx context.Context, now time.Time) ([]store.Key, error) {
	least := c.cfg.shortestIdle()
	if least == 0 {
		return nil, nil
	}
	// IdleSince is strict and to the millisecond: a server due exactly now
	// is included.
	idle, err := c.m.st.IdleSince(ctx, now.Add(-(least - c.cfg.WarnBefore)).Add(time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("cull: %w", err)
	}
	keys := make([]store.Key, len(idle))
	for i, a := range idle {
		keys[i] = a.Key
	}
	return keys, nil
}

// oldServers are the running servers, not in seen, that reach maxAge
// within WarnBefore. Without maxAge there are none and nothing is listed.
func (c *Culler) oldServers(ctx context.Context, now time.Time, seen map[store.Key]bool) ([]candidate, error) {
	if c.cfg.MaxAge == 0 {
		return nil, nil
	}
	all, err := c.m.st.ListServers(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("cull: %w", err)
	}
	var old []store.Server
	var keys []store.Key
	for _, srv := range all {
		if srv.Phase == store.PhaseRunning && !seen[srv.Key()] && !now.Before(srv.StartedAt.Add(c.cfg.MaxAge-c.cfg.WarnBefore)) {
			old, keys = append(old, srv), append(keys, srv.Key())
		}
	}
	acts, err := c.m.st.Activities(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("cull: %w", err)
	}
	out := make([]candidate, len(old))
	for i, srv := range old {
		out[i] = candidate{srv: srv, act: acts[srv.Key()]}
	}
	return out, nil
}
