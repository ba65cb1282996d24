package spawner

import (
	"context"
	"errors"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// cullLeaseTTL bounds how long a replica that died mid-decision keeps
// others from a server.
const cullLeaseTTL = 30 * time.Second

// apply carries out d under the server's lease: it reads the record again
// and decides again (another replica may have warned or culled it since),
// then warns or culls with a compare-and-set, so that exactly one replica
// records each warning and each cull.
func (c *Culler) apply(ctx context.Context, d CullDecision) {
	key := d.Key()
	lease := "cull:" + key.String()
	ok, err := c.m.st.AcquireLease(ctx, lease, c.m.owner, cullLeaseTTL)
	if err != nil || !ok {
		return // another replica decides this server now
	}
	defer func() { _ = c.m.st.ReleaseLease(context.WithoutCancel(ctx), lease, c.m.owner) }()
	srv, err := c.m.st.GetServer(ctx, key.Namespace, key.Name)
	if err != nil || srv.Phase != store.PhaseRunning {
		return
	}
	acts, err := c.m.st.Activities(ctx, []store.Key{key})
	if err != nil {
		return
	}
	d, ok = c.cfg.decide(c.now(), srv, acts[key])
	if !ok {
		return
	}
	switch d.Action {
	case CullActionWarn:
		err = c.warn(ctx, srv, d)
	case CullActionCull:
		err = c.cull(ctx, srv, d)
	}
	if err != nil && !errors.Is(err, store.ErrConflict) {
		c.log.WarnContext(ctx, "cull not applied", "server", key.String(), "action", d.Action, "err", err)
	}
}

// warn records the warning on the record (cullAt in the API, the banner)
// and as an event.
func (c *Culler) warn(ctx context.Context, srv store.Server, d CullDecision) error {
	srv.Cull = &store.Cull{Reason: d.Reason, WarnedAt: c.now(), At: d.CullAt, LastActivity: d.LastActivity, Source: d.Source}
	if _, err := c.m.update(ctx, srv); err != nil {
		return err
	}
	c.metrics.warned()
	c.m.say(ctx, srv.Key(), store.EventWarning, "CullWarning", sayCullWarning(d))
	c.log.InfoContext(ctx, "cull warning", "server", srv.Key().String(), "cullAt", d.CullAt, "reason", d.Reason)
	return nil
}

// cull takes the server from Running to Stopping with the reason kept on
// the record, then stops it as Stop does.
func (c *Culler) cull(ctx context.Context, srv store.Server, d CullDecision) error {
	cull := store.Cull{Reason: d.Reason, At: c.now(), LastActivity: d.LastActivity, Source: d.Source, Done: true}
	if srv.Cull != nil {
		cull.WarnedAt = srv.Cull.WarnedAt
	}
	srv.Phase, srv.Owner, srv.Cull = store.PhaseStopping, c.m.owner, &cull
	sayCulling.on(&srv)
	srv, err := c.m.update(ctx, srv)
	if err != nil {
		return err
	}
	c.metrics.culled(d.Reason)
	c.m.say(ctx, srv.Key(), store.EventNormal, "Culled", sayCulled(d))
	c.log.InfoContext(ctx, "server culled", "server", srv.Key().String(), "reason", d.Reason, "idle", d.IdleFor)
	_, err = c.m.finishStop(srv)
	return err
}
