// Package memory is the embedded store: every record lives in maps behind
// one mutex, and pub/sub fans out inside the process. It keeps the store
// contract so that a single spawnhub replica runs without Redis; its state
// dies with the process. Records are kept in their JSON form, as in Redis,
// so that callers never share memory with the store.
package memory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// ErrClosed is returned by Ping once the handle is closed.
var ErrClosed = errors.New("store/memory: closed")

// Store is one handle on an in-memory state. Handles made with Peer share
// the state, as replicas share a Redis.
type Store struct {
	st     *state
	closed atomic.Bool
}

var _ store.Store = (*Store)(nil)

// state is what every handle of one store shares.
type state struct {
	now func() time.Time
	hub hub

	mu         sync.Mutex
	servers    map[store.Key]versioned
	routes     map[store.Key]store.Route
	activity   map[store.Key]int64      // unix milliseconds, like the Redis score
	sources    map[store.Key]store.Mark // the newest mark with a source, to the millisecond
	events     map[store.Key][]store.Event
	users      map[string][]byte
	namespaces map[string]versioned
	tokens     map[string][]byte // by hash
	tokenIDs   map[string]string // id → hash
	revoked    map[string]time.Time
	leases     map[string]lease
	codes      map[string]lease  // value in holder
	queues     map[string]*queue // start queues by backend
	index      index             // the administrators' index of servers
}

// versioned is a JSON record and its compare-and-set version.
type versioned struct {
	version int64
	data    []byte
}

// New returns an empty store whose expiries follow the system clock.
func New() *Store { return NewWithClock(time.Now) }

// NewWithClock returns an empty store whose token, session and lease
// expiries follow now.
func NewWithClock(now func() time.Time) *Store {
	return &Store{st: &state{
		now:        now,
		hub:        hub{subs: map[string]map[*subscriber]struct{}{}},
		servers:    map[store.Key]versioned{},
		routes:     map[store.Key]store.Route{},
		activity:   map[store.Key]int64{},
		sources:    map[store.Key]store.Mark{},
		events:     map[store.Key][]store.Event{},
		users:      map[string][]byte{},
		namespaces: map[string]versioned{},
		tokens:     map[string][]byte{},
		tokenIDs:   map[string]string{},
		revoked:    map[string]time.Time{},
		leases:     map[string]lease{},
		codes:      map[string]lease{},
		queues:     map[string]*queue{},
		index:      newIndex(),
	}}
}

// Peer returns another handle on the same state, the way a second replica
// connects to the same Redis: writes and publications through one are seen
// through the other, and closing one leaves the other open.
func (s *Store) Peer() (store.Store, error) { return &Store{st: s.st}, nil }

// Ping reports whether the handle is open.
func (s *Store) Ping(context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// Close marks the handle closed for Ping. The state stays for other handles;
// subscriptions end with their contexts.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// encode returns v's JSON form, the form records are stored in.
func encode(what string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", what, err)
	}
	return b, nil
}

// decode returns a fresh value from a stored JSON form.
func decode[T any](what string, b []byte) (T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("decode %s: %w", what, err)
	}
	return v, nil
}
