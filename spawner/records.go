package spawner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// recordsFullEvery is how often the record copy is read whole anyway, as
// a safety net under the change feed.
const recordsFullEvery = 10 * time.Minute

// records is this replica's copy of every server record for Reconcile,
// kept up to date by the change feed (store.TopicServers): a pass reads
// again only the records changed since the last one, so a pass over a
// fleet where little changes costs a few reads, not one per server. The
// first pass, a resync of the feed (messages may have been lost) and
// every recordsFullEvery read every record.
type records struct {
	mu       sync.Mutex
	all      map[store.Key]store.Server
	dirty    map[store.Key]struct{}
	fed      bool // the change feed is followed: the copy can be trusted
	full     bool // the next pass reads every record
	lastFull time.Time
}

func newRecords() *records {
	return &records{all: map[store.Key]store.Server{}, dirty: map[store.Key]struct{}{}, full: true}
}

// changed takes one message of the change feed: a key changed, or ""
// (every record may have changed).
func (r *records) changed(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fed = true
	if msg == "" {
		r.full = true
		return
	}
	if k, ok := store.ParseKey(msg); ok {
		r.dirty[k] = struct{}{}
	}
}

// unfed says the change feed broke: until its next "", every pass reads
// every record.
func (r *records) unfed() {
	r.mu.Lock()
	r.fed = false
	r.mu.Unlock()
}

// list returns every record, sorted by key, reading from st only what the
// copy cannot vouch for.
func (r *records) list(ctx context.Context, st Store, now time.Time) ([]store.Server, error) {
	r.mu.Lock()
	full := r.full || !r.fed || now.Sub(r.lastFull) >= recordsFullEvery
	dirty := r.dirty
	r.dirty, r.full = map[store.Key]struct{}{}, false // changes from here on are read next time
	r.mu.Unlock()
	if full {
		return r.readAll(ctx, st, now)
	}
	return r.readDirty(ctx, st, dirty)
}

func (r *records) readAll(ctx context.Context, st Store, now time.Time) ([]store.Server, error) {
	srvs, err := st.ListServers(ctx, "")
	if err != nil {
		r.mu.Lock()
		r.full = true
		r.mu.Unlock()
		return nil, fmt.Errorf("list servers: %w", err)
	}
	all := make(map[store.Key]store.Server, len(srvs))
	for _, s := range srvs {
		all[s.Key()] = s
	}
	r.mu.Lock()
	r.all, r.lastFull = all, now
	r.mu.Unlock()
	return srvs, nil
}

func (r *records) readDirty(ctx context.Context, st Store, dirty map[store.Key]struct{}) ([]store.Server, error) {
	read := make(map[store.Key]*store.Server, len(dirty))
	for k := range dirty {
		s, err := st.GetServer(ctx, k.Namespace, k.Name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			read[k] = nil
		case err != nil:
			r.mu.Lock()
			maps.Copy(r.dirty, dirty) // read them next time
			r.mu.Unlock()
			return nil, fmt.Errorf("read server %s: %w", k, err)
		default:
			read[k] = &s
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, s := range read {
		if s == nil {
			delete(r.all, k)
		} else {
			r.all[k] = *s
		}
	}
	return slices.SortedFunc(maps.Values(r.all), func(a, b store.Server) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	}), nil
}
