package spawner

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// outcome is what a start asks of its queue entry when it ends.
type outcome int

const (
	finished outcome = iota // done, failed or cancelled: remove the entry
	released                // interrupted by a drain: back to its place
	left                    // the claim was lost: another replica has it
)

// startQueue runs on this replica the starts it claims from the queue
// every replica shares in the store: at most limit() at a time here,
// within the pool and backend limits across replicas. It renews its claims
// while the starts run, so that those of a replica that dies go back to
// the queue for another one. It knows nothing of records: run is one start.
type startQueue struct {
	st      store.QueueStore
	backend string
	holder  string
	limits  store.QueueLimits
	ttl     time.Duration                                                          // claims; renewed every ttl/3
	limit   func() int                                                             // starts at a time on this replica
	run     func(ctx context.Context, e store.QueueEntry) (outcome, time.Duration) // ctx ends with cancel, a lost claim or close
	log     *slog.Logger

	base context.Context // parent of every start; cancelled by close
	stop context.CancelFunc
	kick chan struct{}  // capacity 1: "claim now"
	done chan struct{}  // closed when the dispatcher has ended
	wg   sync.WaitGroup // running jobs

	mu     sync.Mutex
	closed bool               // close was called: start nothing more
	jobs   map[store.Key]*job // starting here
}

// job is the start of one server on this replica.
type job struct {
	entry  store.QueueEntry
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the job is over
	lost   bool          // the claim expired and another replica may have it
}

// newStartQueue starts the dispatcher, which claims and renews until close.
func newStartQueue(q *startQueue) *startQueue {
	q.jobs = map[store.Key]*job{}
	q.kick = make(chan struct{}, 1)
	q.done = make(chan struct{})
	q.base, q.stop = context.WithCancel(context.Background())
	go q.dispatch() // ends with close
	return q
}

// add queues a start for every replica; it keeps its place if it is
// already queued.
func (q *startQueue) add(ctx context.Context, e store.QueueEntry) error {
	if err := q.st.Enqueue(ctx, e); err != nil {
		return err
	}
	q.wake()
	return nil
}

// wake asks the dispatcher to claim now; wakes coalesce.
func (q *startQueue) wake() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// dispatch claims starts when woken, and renews claims (and claims what
// expired elsewhere) every ttl/3, until close.
func (q *startQueue) dispatch() {
	defer close(q.done)
	t := time.NewTicker(q.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-q.base.Done():
			return
		case <-q.kick:
		case <-t.C:
			q.renew()
		}
		q.claim()
	}
}

// claim takes as many starts as this replica has free slots.
func (q *startQueue) claim() {
	q.mu.Lock()
	free := q.limit() - len(q.jobs)
	q.mu.Unlock()
	if free <= 0 {
		return
	}
	entries, err := q.st.Claim(q.base, q.backend, q.holder, free, q.limits, q.ttl)
	if err != nil {
		if q.base.Err() == nil {
			q.log.Warn("claim starts", "err", err)
		}
		return
	}
	for _, e := range entries {
		q.startJob(e)
	}
	if len(entries) == free {
		q.wake() // there may be more for slots freed meanwhile
	}
}

func (q *startQueue) startJob(e store.QueueEntry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.jobs[e.Key]; ok || q.closed {
		// Already running here (claimed again after a lost claim), or
		// closing: the claim expires and the entry goes back.
		return
	}
	ctx, cancel := context.WithCancel(q.base)
	j := &job{entry: e, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	q.jobs[e.Key] = j
	q.wg.Add(1)
	go q.runJob(j) // ends when the start ends; close cancels it
}

// renew extends the claims of the starts running here, and cancels those
// whose claim is lost.
func (q *startQueue) renew() {
	q.mu.Lock()
	keys := make([]store.Key, 0, len(q.jobs))
	for k := range q.jobs {
		keys = append(keys, k)
	}
	q.mu.Unlock()
	lost, err := q.st.Renew(q.base, q.backend, q.holder, keys, q.ttl)
	if err != nil {
		if q.base.Err() == nil {
			q.log.Warn("renew start claims", "err", err)
		}
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range lost {
		if j, ok := q.jobs[k]; ok {
			j.lost = true
			j.cancel()
		}
	}
}

// runJob runs one start, then tells the queue how it ended.
func (q *startQueue) runJob(j *job) {
	defer q.wg.Done()
	out, took := q.run(j.ctx, j.entry)
	q.mu.Lock()
	if j.lost {
		out = left
	}
	delete(q.jobs, j.entry.Key)
	q.mu.Unlock()
	j.cancel()
	q.settle(j.entry, out, took)
	close(j.done)
	q.wake()
}

// settle records how a start ended in the shared queue.
func (q *startQueue) settle(e store.QueueEntry, out outcome, took time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	switch out {
	case finished:
		err = q.st.Finish(ctx, e.Backend, e.Key, took)
	case released:
		err = q.st.Release(ctx, e.Backend, q.holder, e.Key)
	}
	if err != nil {
		q.log.Warn("queue entry not settled; its claim expires", "server", e.Key.String(), "err", err)
	}
}

// cancel removes key from the queue, for every replica (the one starting
// it loses its claim and stops), cancels its start here if there is one,
// and returns a channel closed when that is over (nil when none runs here).
func (q *startQueue) cancel(ctx context.Context, key store.Key) <-chan struct{} {
	if err := q.st.Finish(ctx, q.backend, key, 0); err != nil {
		q.log.Warn("queue entry not removed", "server", key.String(), "err", err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	j, ok := q.jobs[key]
	if !ok {
		return nil
	}
	j.cancel()
	return j.done
}

// has reports whether key is starting on this replica.
func (q *startQueue) has(key store.Key) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	_, ok := q.jobs[key]
	return ok
}

// running is how many starts run on this replica.
func (q *startQueue) running() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs)
}

// close starts nothing more, cancels the running starts (each hands its
// entry back to the queue) and waits for them and the dispatcher.
func (q *startQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.stop()
	q.wg.Wait()
	<-q.done
}

// closing reports whether close was called (a start cut short by it is
// an interruption, not a failure).
func (q *startQueue) closing() bool { return q.base.Err() != nil }
