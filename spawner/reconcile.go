package spawner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// Run reconciles once, then on every tick, until ctx is done, and claims
// starts from the shared queue whenever another replica announces a change
// of it. Then it cancels the starts in progress on this replica and waits
// for them: each one stops what it launched and hands its entry back to
// its place in the queue, where another replica takes it at once. Running
// servers are not touched. Run returns nil once everything has ended; a
// Manager runs at most once.
func (m *Manager) Run(ctx context.Context) error {
	ticks := m.ticks
	if ticks == nil {
		t := time.NewTicker(m.interval)
		defer t.Stop()
		ticks = t.C
	}
	go store.Follow(ctx, m.st, store.TopicQueue, func(msg string) { // ends with ctx
		if msg == "" || msg == m.backend {
			m.queue.wake()
			m.board.poke()
		}
	}, store.FollowOptions{Logger: m.log})
	go store.Follow(ctx, m.st, store.TopicServers, m.recs.changed, // ends with ctx
		store.FollowOptions{Logger: m.log, OnBreak: m.recs.unfed})
	go m.board.run(ctx)       // ends with ctx
	go m.watchStarvation(ctx) // ends with ctx
	m.reconcileLogged(ctx)
	for {
		select {
		case <-ctx.Done():
			m.shutdown()
			return nil
		case <-ticks:
			m.reconcileLogged(ctx)
		}
	}
}

func (m *Manager) shutdown() { m.queue.close() }

func (m *Manager) reconcileLogged(ctx context.Context) {
	if err := m.Reconcile(ctx); err != nil && ctx.Err() == nil {
		m.log.Warn("reconcile", "err", err)
	}
}

// Reconcile repairs drift between the records and the backend:
//   - Running, Starting or Stopping whose instance is gone → Failed
//     ("server process is gone"), route deleted;
//   - Queued, untouched for a claim's ttl → queued again in the shared queue
//     (a replica may have died between the record and the queue; an entry
//     already there keeps its place);
//   - Starting of this replica with no start in progress here (a restart),
//     or of another replica untouched for StaleAfter → queued again (a
//     half-started instance is stopped first);
//   - Stopping of this replica with no stop in progress, or stale → the stop
//     is finished.
//
// While Run follows the change feed, a pass reads only the records changed
// since the last one (see records).
func (m *Manager) Reconcile(ctx context.Context) error {
	srvs, err := m.recs.list(ctx, m.st, m.now())
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	var errs []error
	queued := m.queuedOnce(ctx)
	for _, srv := range srvs {
		if err := m.reconcileOne(ctx, srv, queued); err != nil {
			errs = append(errs, fmt.Errorf("reconcile %s: %w", srv.Key(), err))
		}
	}
	return errors.Join(errs...)
}

func (m *Manager) reconcileOne(ctx context.Context, srv store.Server, queued func(store.Key) bool) error {
	switch srv.Phase {
	case store.PhaseRunning:
		return m.checkAlive(ctx, srv)
	case store.PhaseQueued:
		if m.now().Sub(srv.UpdatedAt) > m.claimTTL && !queued(srv.Key()) {
			return m.queue.add(ctx, m.entryOf(srv))
		}
	case store.PhaseStarting:
		if m.orphaned(srv) && !m.queue.has(srv.Key()) {
			return m.requeue(ctx, srv)
		}
	case store.PhaseStopping:
		if m.orphaned(srv) && !m.isStopping(srv.Key()) {
			_, err := m.finishStop(srv)
			return err
		}
	}
	return nil
}

// queuedOnce tells whether a key is in the queue, from one read of the
// whole queue made when first asked (a long queue costs one read per
// reconcile, not one per waiting server); when the read fails it says
// no, and the entry is queued again (which keeps an entry's place).
func (m *Manager) queuedOnce(ctx context.Context) func(store.Key) bool {
	var view store.QueueView
	var read bool
	return func(k store.Key) bool {
		if !read {
			read = true
			var err error
			if view, err = m.st.View(ctx, m.backend); err != nil {
				m.log.Warn("queue not read; queued servers are queued again", "err", err)
			}
		}
		_, ok := view.Place(k)
		return ok
	}
}

// orphaned reports whether nobody is working on a transitional record: it
// is this replica's (the caller checks that nothing runs here) or another
// replica's that has not touched it for StaleAfter.
func (m *Manager) orphaned(srv store.Server) bool {
	return srv.Owner == m.owner || m.now().Sub(srv.UpdatedAt) > m.staleAfter
}

// checkAlive fails a Running server whose instance has ended.
func (m *Manager) checkAlive(ctx context.Context, srv store.Server) error {
	alive, err := m.b.Alive(ctx, srv)
	if err != nil || alive {
		return err
	}
	m.gone(srv, Fail(sayGone, nil))
	return nil
}

// gone records that a Running server ended by itself: Failed with reason,
// or Stopped when its own user shut it down (why is nil). The route goes
// only if the record was still the one read (not restarted meanwhile).
func (m *Manager) gone(srv store.Server, why error) {
	var ok bool
	if why == nil {
		ok = m.settle(srv, store.PhaseStopped, store.EventNormal, "Stopped", sayQuit)
	} else {
		ok = m.fail(srv, reasonOf(why))
	}
	if !ok {
		return
	}
	ctx, cancel := m.writeCtx()
	defer cancel()
	if err := m.st.DeleteRoute(ctx, srv.Key()); err != nil {
		m.log.Warn("route not deleted", "server", srv.Key().String(), "err", err)
	}
	if err := m.st.ClearActivity(ctx, srv.Key()); err != nil {
		m.log.Warn("activity not cleared", "server", srv.Key().String(), "err", err)
	}
}

// requeue takes over an interrupted start and queues it again. The
// compare-and-set comes first, so a stale read cannot stop a server that
// has started since.
func (m *Manager) requeue(ctx context.Context, srv store.Server) error {
	half := srv.Phase == store.PhaseStarting
	srv.Phase, srv.Owner = store.PhaseQueued, m.owner
	sayRequeued.on(&srv)
	srv, err := m.update(ctx, srv)
	if errors.Is(err, store.ErrConflict) {
		return nil // someone else acted on it
	}
	if err != nil {
		return err
	}
	if half {
		if err := m.b.Stop(ctx, srv); err != nil {
			return fmt.Errorf("stop half-started instance: %w", err)
		}
	}
	srv.Instance = ""
	m.say(ctx, srv.Key(), store.EventNormal, "Queued", sayRequeued)
	return m.queue.add(ctx, m.entryOf(srv))
}

// handleExit is the backend's report that a Running instance ended by
// itself.
func (m *Manager) handleExit(key store.Key, instance string, why error) {
	ctx, cancel := m.writeCtx()
	defer cancel()
	srv, err := m.st.GetServer(ctx, key.Namespace, key.Name)
	if err != nil || srv.Phase != store.PhaseRunning || srv.Instance != instance {
		return // stopped, restarted or deleted meanwhile
	}
	m.log.Info("server exited", "server", key.String(), "instance", instance)
	m.gone(srv, why)
}
