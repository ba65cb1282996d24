package spawner

import (
	"context"
	"slices"
	"sync"

	"github.com/spawnhub/spawnhub/store"
)

// startQueue runs the starts of this replica, first in first out, at most
// max at a time. It knows nothing of records: run is one start, and show
// tells a waiting job its new place (position reads it).
type startQueue struct {
	max  int
	run  func(ctx context.Context, key store.Key) // ctx ends with cancel or close
	show func(j *job)                             // called without the lock held

	base context.Context // parent of every start; cancelled by close
	stop context.CancelFunc
	wg   sync.WaitGroup // running jobs

	mu      sync.Mutex
	closed  bool               // close was called: start nothing more
	jobs    map[store.Key]*job // queued or starting
	waiting []*job             // queued jobs, first in first out
	running int                // jobs holding a start slot
}

// job is the start of one server on this replica.
type job struct {
	key    store.Key
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the job is over
	pos    int           // queue position last shown to the user
}

func newStartQueue(max int, run func(context.Context, store.Key), show func(*job)) *startQueue {
	q := &startQueue{max: max, run: run, show: show, jobs: map[store.Key]*job{}}
	q.base, q.stop = context.WithCancel(context.Background())
	return q
}

// add queues a start unless there already is one for key.
func (q *startQueue) add(key store.Key) {
	q.mu.Lock()
	if _, ok := q.jobs[key]; ok {
		q.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(q.base)
	j := &job{key: key, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	q.jobs[key] = j
	q.waiting = append(q.waiting, j)
	q.mu.Unlock()
	q.dispatch()
}

// dispatch gives free start slots to the first waiting jobs and shows the
// others their place in the queue, before the starts begin.
func (q *startQueue) dispatch() {
	q.mu.Lock()
	var run []*job
	for !q.closed && q.running < q.max && len(q.waiting) > 0 {
		run = append(run, q.waiting[0])
		q.waiting = q.waiting[1:]
		q.running++
		q.wg.Add(1)
	}
	var moved []*job
	for i, j := range q.waiting {
		if j.pos != i+1 {
			j.pos = i + 1
			moved = append(moved, j)
		}
	}
	q.mu.Unlock()
	for _, j := range moved {
		q.show(j)
	}
	for _, j := range run {
		go q.runJob(j) // ends when the start ends; close cancels it
	}
}

// position is the job's place in the queue as last shown.
func (q *startQueue) position(j *job) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return j.pos
}

// cancel drops a waiting job or cancels a running one, and returns a
// channel closed when it is over (nil when there is no job).
func (q *startQueue) cancel(key store.Key) <-chan struct{} {
	q.mu.Lock()
	j, ok := q.jobs[key]
	if !ok {
		q.mu.Unlock()
		return nil
	}
	if i := slices.Index(q.waiting, j); i >= 0 {
		q.waiting = slices.Delete(q.waiting, i, i+1)
		delete(q.jobs, key)
		j.cancel()
		close(j.done)
		q.mu.Unlock()
		q.dispatch()
		return j.done
	}
	q.mu.Unlock()
	j.cancel()
	return j.done
}

// has reports whether key is queued or starting.
func (q *startQueue) has(key store.Key) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	_, ok := q.jobs[key]
	return ok
}

// runJob runs one start while holding a start slot, then frees the slot.
func (q *startQueue) runJob(j *job) {
	defer q.wg.Done()
	defer q.dispatch()
	defer func() {
		q.mu.Lock()
		delete(q.jobs, j.key)
		q.running--
		q.mu.Unlock()
		j.cancel()
		close(j.done)
	}()
	q.run(j.ctx, j.key)
}

// close starts nothing more, cancels the running starts and waits for them.
func (q *startQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.stop()
	q.wg.Wait()
}

// closing reports whether close was called (a start cut short by it is
// an interruption, not a failure).
func (q *startQueue) closing() bool { return q.base.Err() != nil }
