package spawner

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// boardEvery is how often at most a replica reads its whole queue for the
// pages that follow queued servers.
const boardEvery = time.Second

// board is this replica's view of its backend's queue, for the pages that
// follow queued servers (their progress streams). After the queue moves,
// the board reads it whole, at most once per boardEvery and only while a
// page follows it, and tells every page; each page then derives its
// server's place from the view without a read of its own. So the cost of
// showing a thousand waiting users their place is one read a second per
// replica, not one per user and poll.
type board struct {
	read  func(ctx context.Context) (store.QueueView, error)
	every time.Duration
	log   *slog.Logger
	moved chan struct{} // 1-buffered: the queue changed since the last read

	mu       sync.Mutex
	view     store.QueueView
	stale    bool // the queue moved while nobody followed it
	watchers map[chan struct{}]struct{}
}

func newBoard(read func(ctx context.Context) (store.QueueView, error), log *slog.Logger) *board {
	return &board{read: read, every: boardEvery, log: log, moved: make(chan struct{}, 1), stale: true,
		watchers: map[chan struct{}]struct{}{}}
}

// poke says the queue moved.
func (b *board) poke() {
	select {
	case b.moved <- struct{}{}:
	default:
	}
}

// run reads the queue after each move while it is followed, then tells
// the followers, until ctx is done.
func (b *board) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.moved:
		}
		if !b.followed() {
			continue
		}
		v, err := b.read(ctx)
		if err != nil {
			b.log.Warn("queue not read for the pages following it", "err", err)
		} else {
			b.show(v)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.every):
		}
	}
}

// followed reports whether a page follows the queue; when none does, the
// next follower gets a fresh read.
func (b *board) followed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.watchers) == 0 {
		b.stale = true
		return false
	}
	return true
}

func (b *board) show(v store.QueueView) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.view, b.stale = v, false
	for ch := range b.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// watch signals after each new view until ctx is done.
func (b *board) watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	b.watchers[ch] = struct{}{}
	stale := b.stale
	b.mu.Unlock()
	if stale {
		b.poke()
	}
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		delete(b.watchers, ch)
		b.mu.Unlock()
	})
	return ch
}

// place is where key was in the latest view.
func (b *board) place(key store.Key) (store.QueuePlace, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.view.Place(key)
}

// WatchQueue signals, until ctx is done, each time this replica's view of
// the start queue changed (at most once a second): a page following a
// Queued server then shows its place with InQueueView, without a read of
// its own.
func (m *Manager) WatchQueue(ctx context.Context) <-chan struct{} { return m.board.watch(ctx) }

// InQueueView is srv as Get shows it, with its place in the queue taken
// from this replica's latest view of the queue (see WatchQueue); srv as
// given when it is not Queued or not in the view.
func (m *Manager) InQueueView(srv store.Server) store.Server {
	if srv.Phase != store.PhaseQueued {
		return srv
	}
	p, ok := m.board.place(srv.Key())
	if !ok {
		return srv
	}
	return placed(srv, p)
}
