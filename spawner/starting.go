package spawner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// startServer runs a start this replica claimed from the queue: it moves
// the record to Starting under this replica's name, runs it through the
// backend and records the outcome. A record still Starting under another
// name is a start whose replica died: what it half started is stopped
// first. ctx is the job's context: cancelled by Stop, by a lost claim or at
// shutdown. It returns what the queue should do with the entry, and how
// long a successful start took.
func (m *Manager) startServer(ctx context.Context, e store.QueueEntry) (outcome, time.Duration) {
	srv, ok := m.takeStart(ctx, e.Key)
	if !ok {
		return finished, 0
	}
	m.say(ctx, e.Key, store.EventNormal, "Starting", sayStarting)
	im, ok := m.cfg.ImageOf(srv.Spec)
	if !ok {
		m.spawnMetrics.failed(FailImage)
		m.fail(srv, Say("start.image_gone", fmt.Sprintf("the image %q is no longer in the catalogue", srv.Spec.Image), "image", srv.Spec.Image))
		return finished, 0
	}
	progress := func(ev store.Event) {
		if ev.Time.IsZero() {
			ev.Time = m.now()
		}
		if err := m.st.AppendEvent(ctx, e.Key, ev); err != nil {
			m.log.Warn("event not recorded", "server", e.Key.String(), "err", err)
		}
	}
	timeout := startTimeout(m.cfg, im)
	began := time.Now()
	sctx, cancel := context.WithTimeout(ctx, timeout)
	route, instance, err := m.b.Start(sctx, srv, im, newToken(), progress)
	timedOut := errors.Is(sctx.Err(), context.DeadlineExceeded)
	cancel()
	took := time.Since(began)
	switch {
	case err == nil:
		m.pace.observe(took, true)
		m.metrics.ended("running", took)
		if m.started(srv, im.Profile().Present(route, e.Key), instance) {
			m.spawnMetrics.started(took)
		}
		return finished, took
	case m.queue.closing():
		m.metrics.ended("handed_back", took)
		m.interrupted(srv)
		return released, 0
	case ctx.Err() != nil:
		// Stop cancelled the start and now owns the record, or the claim
		// was lost and another replica has it.
		m.metrics.ended("cancelled", took)
		return finished, 0
	case timedOut:
		m.pace.observe(took, false)
		m.metrics.ended("timeout", took)
		m.spawnMetrics.failed(FailTimeout)
		m.fail(srv, sayTimeout(timeout, err))
	default:
		m.metrics.ended("failed", took)
		m.spawnMetrics.failed(FailBackend)
		m.fail(srv, reasonOf(err))
	}
	return finished, 0
}

// startTimeout is the image's own start timeout, or the configuration's.
func startTimeout(cfg form.Config, im form.Image) time.Duration {
	if im.StartTimeout > 0 {
		return im.StartTimeout
	}
	return cfg.StartTimeout
}

// takeStart moves a claimed server to Starting under this replica's name
// and reports false when there is nothing to start (stopped, deleted or
// running meanwhile). A Starting record is a start taken over from a
// replica whose claim expired: its half-started instance is stopped.
func (m *Manager) takeStart(ctx context.Context, key store.Key) (store.Server, bool) {
	srv, err := m.st.GetServer(ctx, key.Namespace, key.Name)
	if err != nil || srv.Phase != store.PhaseQueued && srv.Phase != store.PhaseStarting {
		return store.Server{}, false
	}
	half := srv.Phase == store.PhaseStarting
	if !half {
		m.spawnMetrics.waited(m.now().Sub(srv.UpdatedAt)) // UpdatedAt: when it was queued
	}
	srv.Phase, srv.Owner = store.PhaseStarting, m.owner
	sayStarting.on(&srv)
	if srv, err = m.update(ctx, srv); err != nil {
		return store.Server{}, false
	}
	if half {
		m.log.Info("taking over an interrupted start", "server", key.String())
		if err := m.b.Stop(ctx, srv); err != nil {
			m.log.Warn("half-started instance not stopped", "server", key.String(), "err", err)
		}
		srv.Instance = ""
	}
	return srv, true
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
	srv.Phase, srv.Instance, srv.StartedAt = store.PhaseRunning, instance, now
	Said{}.on(&srv)
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
	m.say(ctx, key, store.EventNormal, "Started", sayStarted)
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
		m.fail(srv, reasonOf(cause))
	}
}

// interrupted puts a start cut short by shutdown back in the queue, where
// another replica takes it at once (its entry is released at its place).
func (m *Manager) interrupted(srv store.Server) {
	ctx, cancel := m.writeCtx()
	defer cancel()
	srv.Phase = store.PhaseQueued
	sayInterrupted.on(&srv)
	if _, err := m.update(ctx, srv); err != nil {
		m.log.Warn("interrupted start not requeued", "server", srv.Key().String(), "err", err)
		return
	}
	m.say(ctx, srv.Key(), store.EventNormal, "Queued", sayInterrupted)
}

// fail records a failed start or a dead server and reports whether it did:
// a record that changed since srv was read (a Stop, another replica) is
// left alone.
func (m *Manager) fail(srv store.Server, reason Said) bool {
	return m.settle(srv, store.PhaseFailed, store.EventWarning, "Failed", reason)
}

// settle records that a server ended in phase (Failed, or Stopped by
// itself) with an event saying why, and reports whether it did: a record
// that changed since srv was read is left alone.
func (m *Manager) settle(srv store.Server, phase store.Phase, typ, event string, reason Said) bool {
	ctx, cancel := m.writeCtx()
	defer cancel()
	key := srv.Key()
	cur, err := m.st.GetServer(ctx, key.Namespace, key.Name)
	if err != nil || cur.Version != srv.Version {
		return false
	}
	cur.Phase, cur.Instance, cur.Owner, cur.StoppedAt = phase, "", "", m.now()
	reason.on(&cur)
	if _, err := m.update(ctx, cur); err != nil {
		m.log.Warn("failure not recorded", "server", key.String(), "err", err)
		return false
	}
	m.say(ctx, key, typ, event, reason)
	m.log.Info("server ended", "server", key.String(), "phase", phase, "reason", reason.Text)
	return true
}
