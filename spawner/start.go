package spawner

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spawnhub/spawnhub/store"
)

// casAttempts bounds the retries of a transition that lost a
// compare-and-set to another writer.
const casAttempts = 4

// job is the start of one server on this replica.
type job struct {
	key    store.Key
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the job is over
	pos    int           // queue position last shown to the user
}

// Start queues a Stopped or Failed server and returns it Queued; the start
// itself runs in the background. Start is idempotent: a server already
// Queued, Starting or Running is returned as is, so of two concurrent
// Starts (on any replicas) exactly one queues it and both succeed. A
// Stopping server is a store.ErrConflict. A server whose volume is gone or
// mounted by another running server is refused with a *FieldError
// ("volume.unknown", "volume.mounted"), and so is one more server than the
// namespace may run ("quota.runningServers", ErrLimitReached).
func (m *Manager) Start(ctx context.Context, ns, name string) (store.Server, error) {
	for range casAttempts {
		srv, err := m.Get(ctx, ns, name)
		if err != nil {
			return store.Server{}, err
		}
		switch srv.Phase {
		case store.PhaseQueued, store.PhaseStarting, store.PhaseRunning:
			return srv, nil
		case store.PhaseStopping:
			return srv, fmt.Errorf("start %s: it is stopping: %w", srv.Key(), store.ErrConflict)
		}
		// A volume may have been attached elsewhere, or deleted, while
		// this server was stopped, and other servers may have started; the
		// checks and the move to Queued (which mounts the volumes and
		// counts as running) happen under the namespace's lock.
		q := m.quotas.For(ns)
		var queued store.Server
		err = m.withNamespaceLock(ctx, ns, q.RunningServers > 0 || len(volumeRefs(srv.Spec)) > 0, func() error {
			if err := m.checkStart(ctx, ns, name, q); err != nil {
				return err
			}
			if err := m.checkVolumes(ctx, ns, name, srv.Spec, false); err != nil {
				return err
			}
			srv.Phase, srv.Owner, srv.Message, srv.Instance = store.PhaseQueued, m.owner, "queued", ""
			var err error
			queued, err = m.update(ctx, srv)
			return err
		})
		var fe *FieldError
		if errors.Is(err, store.ErrConflict) && !errors.As(err, &fe) {
			continue // the record changed meanwhile: look again
		}
		if err != nil {
			return store.Server{}, err
		}
		m.event(ctx, queued.Key(), store.EventNormal, "Queued", "waiting for a start slot")
		m.enqueue(queued.Key())
		return queued, nil
	}
	return store.Server{}, fmt.Errorf("start %s/%s: too many concurrent changes: %w", ns, name, store.ErrConflict)
}

// enqueue adds a start job unless this replica already has one for key.
func (m *Manager) enqueue(key store.Key) {
	m.mu.Lock()
	if _, ok := m.jobs[key]; ok {
		m.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(m.base)
	j := &job{key: key, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	m.jobs[key] = j
	m.waiting = append(m.waiting, j)
	m.mu.Unlock()
	m.dispatch()
}

// dispatch gives free start slots to the first waiting jobs and shows the
// others their place in the queue, before the starts begin.
func (m *Manager) dispatch() {
	m.mu.Lock()
	var run []*job
	for !m.closed && m.running < m.cfg.MaxConcurrentStarts && len(m.waiting) > 0 {
		run = append(run, m.waiting[0])
		m.waiting = m.waiting[1:]
		m.running++
		m.wg.Add(1)
	}
	var moved []*job
	for i, j := range m.waiting {
		if j.pos != i+1 {
			j.pos = i + 1
			moved = append(moved, j)
		}
	}
	m.mu.Unlock()
	for _, j := range moved {
		m.showPosition(j)
	}
	for _, j := range run {
		go m.runJob(j) // ends when the start ends; Run cancels it at shutdown
	}
}

// showPosition writes the job's place in the queue into the record's message.
func (m *Manager) showPosition(j *job) {
	ctx, cancel := m.writeCtx()
	defer cancel()
	srv, err := m.st.GetServer(ctx, j.key.Namespace, j.key.Name)
	if err != nil || srv.Phase != store.PhaseQueued || srv.Owner != m.owner {
		return
	}
	m.mu.Lock()
	pos := j.pos
	m.mu.Unlock()
	srv.Message = fmt.Sprintf("waiting for %d servers ahead", pos)
	if pos == 1 {
		srv.Message = "waiting for 1 server ahead"
	}
	if _, err := m.update(ctx, srv); err != nil && !errors.Is(err, store.ErrConflict) {
		m.log.Warn("queue position not shown", "server", j.key.String(), "err", err)
	}
}

// cancelJob drops a waiting job or cancels a running one, and returns a
// channel closed when it is over (nil when there is no job).
func (m *Manager) cancelJob(key store.Key) <-chan struct{} {
	m.mu.Lock()
	j, ok := m.jobs[key]
	if !ok {
		m.mu.Unlock()
		return nil
	}
	if i := slices.Index(m.waiting, j); i >= 0 {
		m.waiting = slices.Delete(m.waiting, i, i+1)
		delete(m.jobs, key)
		j.cancel()
		close(j.done)
		m.mu.Unlock()
		m.dispatch()
		return j.done
	}
	m.mu.Unlock()
	j.cancel()
	return j.done
}

func (m *Manager) inFlight(key store.Key) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.jobs[key]
	return ok
}

// runJob starts one server while holding a start slot, then frees the slot.
func (m *Manager) runJob(j *job) {
	defer m.wg.Done()
	defer m.dispatch()
	defer func() {
		m.mu.Lock()
		delete(m.jobs, j.key)
		m.running--
		m.mu.Unlock()
		j.cancel()
		close(j.done)
	}()
	m.startServer(j.ctx, j.key)
}
