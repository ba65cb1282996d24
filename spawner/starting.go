package spawner

import (
	"context"
	"errors"
	"fmt"

	"github.com/spawnhub/spawnhub/store"
)

// startServer moves a Queued server of this replica to Starting, runs it
// through the backend and records the outcome. ctx is the job's context:
// cancelled by Stop or at shutdown.
func (m *Manager) startServer(ctx context.Context, key store.Key) {
	srv, err := m.st.GetServer(ctx, key.Namespace, key.Name)
	if err != nil || srv.Phase != store.PhaseQueued || srv.Owner != m.owner {
		return // stopped, deleted or taken over while it waited
	}
	m.spawnMetrics.waited(m.now().Sub(srv.UpdatedAt)) // UpdatedAt: when it was queued
	srv.Phase, srv.Message = store.PhaseStarting, "starting"
	if srv, err = m.update(ctx, srv); err != nil {
		return
	}
	m.event(ctx, key, store.EventNormal, "Starting", "starting the server")
	im, ok := m.cfg.ImageOf(srv.Spec)
	if !ok {
		m.spawnMetrics.failed(FailImage)
		m.fail(srv, fmt.Sprintf("the image %q is no longer in the catalogue", srv.Spec.Image))
		return
	}
	progress := func(e store.Event) {
		if e.Time.IsZero() {
			e.Time = m.now()
		}
		if err := m.st.AppendEvent(ctx, key, e); err != nil {
			m.log.Warn("event not recorded", "server", key.String(), "err", err)
		}
	}
	sctx, cancel := context.WithTimeout(ctx, m.cfg.StartTimeout)
	began := m.now()
	route, instance, err := m.b.Start(sctx, srv, im, newToken(), progress)
	timedOut := errors.Is(sctx.Err(), context.DeadlineExceeded)
	cancel()
	switch {
	case err == nil:
		if m.started(srv, route, instance) {
			m.spawnMetrics.started(m.now().Sub(began))
		}
	case m.queue.closing():
		m.interrupted(srv)
	case ctx.Err() != nil:
		// Stop cancelled the start and now owns the record.
	case timedOut:
		m.spawnMetrics.failed(FailTimeout)
		m.fail(srv, fmt.Sprintf("the server did not answer within %s", m.cfg.StartTimeout))
	default:
		m.spawnMetrics.failed(FailBackend)
		m.fail(srv, err.Error())
	}
}

// started records a successful start: route first, so that a Running
// record always has one, then Running. If the record changed meanwhile (a
// Stop), the start is undone and started reports false.
func (m *Manager) started(srv store.Server, route store.Route, instance string) bool {
	ctx, cancel := m.writeCtx()
	defer cancel()
	key := srv.Key()
	route.Namespace = srv.Namespace
	route = m.cfg.ActivityRoute(srv.Spec, route)
	now := m.now()
	srv.Phase, srv.Instance, srv.Message, srv.StartedAt = store.PhaseRunning, instance, "", now
	srv.Cull = nil // a new run: the culler's warning or reason is over
	err := m.st.SetRoute(ctx, key, route)
	if err == nil {
		_, err = m.update(ctx, srv)
	}
	if err != nil {
		if !errors.Is(err, store.ErrConflict) {
			m.spawnMetrics.failed(FailRecord)
		}
		m.undoStart(ctx, srv, err)
		return false
	}
	if err := m.st.ClearActivity(ctx, key); err != nil {
		m.log.Warn("activity not reset", "server", key.String(), "err", err)
	}
	if err := m.st.RecordActivity(ctx, map[store.Key]store.Mark{key: {At: now, Source: store.SourceStart}}); err != nil {
		m.log.Warn("activity not marked", "server", key.String(), "err", err)
	}
	m.event(ctx, key, store.EventNormal, "Started", "the server is running")
	m.log.Info("server started", "server", key.String(), "instance", instance)
	return true
}

// undoStart stops an instance whose start could not be recorded.
func (m *Manager) undoStart(ctx context.Context, srv store.Server, cause error) {
	key := srv.Key()
	m.log.Warn("start not recorded; stopping the instance", "server", key.String(), "err", cause)
	if cur, err := m.st.GetServer(ctx, key.Namespace, key.Name); err != nil || cur.Instance != srv.Instance {
		if err := m.st.DeleteRoute(ctx, key); err != nil {
			m.log.Warn("route not deleted", "server", key.String(), "err", err)
		}
	}
	if err := m.b.Stop(ctx, srv); err != nil {
		m.log.Warn("instance not stopped", "server", key.String(), "err", err)
	}
	if !errors.Is(cause, store.ErrConflict) {
		m.fail(srv, cause.Error())
	}
}

// interrupted puts a start cut short by shutdown back in the queue, for
// this replica after its restart (or another one after StaleAfter).
func (m *Manager) interrupted(srv store.Server) {
	ctx, cancel := m.writeCtx()
	defer cancel()
	srv.Phase, srv.Message = store.PhaseQueued, "interrupted by a restart of spawnhub; it will resume"
	if _, err := m.update(ctx, srv); err != nil {
		m.log.Warn("interrupted start not requeued", "server", srv.Key().String(), "err", err)
		return
	}
	m.event(ctx, srv.Key(), store.EventNormal, "Queued", srv.Message)
}

// fail records a failed start or a dead server and reports whether it did:
// a record that changed since srv was read (a Stop, another replica) is
// left alone.
func (m *Manager) fail(srv store.Server, reason string) bool {
	ctx, cancel := m.writeCtx()
	defer cancel()
	key := srv.Key()
	cur, err := m.st.GetServer(ctx, key.Namespace, key.Name)
	if err != nil || cur.Version != srv.Version {
		return false
	}
	cur.Phase, cur.Message, cur.Instance, cur.Owner, cur.StoppedAt = store.PhaseFailed, reason, "", "", m.now()
	if _, err := m.update(ctx, cur); err != nil {
		m.log.Warn("failure not recorded", "server", key.String(), "err", err)
		return false
	}
	m.event(ctx, key, store.EventWarning, "Failed", reason)
	m.log.Info("server failed", "server", key.String(), "reason", reason)
	return true
}
