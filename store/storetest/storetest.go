// Package storetest is the contract every store.Store implementation keeps.
// Each implementation's tests call Run with a constructor of empty stores;
// the suite checks records, compare-and-set, expiry, pub/sub between two
// handles on the same state, and concurrent writers.
package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/test/poll"
)

// Peerer is a store that can open a second handle on its own state, the way
// a second replica connects to the same Redis. Run requires it: what one
// replica writes and publishes must reach the others.
type Peerer interface {
	// Peer opens another handle on the same state; the caller closes it.
	Peer() (store.Store, error)
}

// NewStore returns an empty store for one test; it registers its own cleanup
// with t. The store must implement Peerer.
type NewStore func(t *testing.T) store.Store

// Run checks that the stores newStore makes keep the store contract.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, newStore NewStore)
	}{
		{"servers", testServers},
		{"routes", testRoutes},
		{"activity", testActivity},
		{"activity sources", testActivitySources},
		{"events", testEvents},
		{"users", testUsers},
		{"namespaces", testNamespaces},
		{"tokens", testTokens},
		{"sessions", testSessions},
		{"leases", testLeases},
		{"codes", testCodes},
		{"queue", testQueue},
		{"pubsub", testPubSub},
		{"concurrency", testConcurrency},
		{"admin index", testAdminIndex},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore) })
	}
}

// peer opens a second handle on s's state and closes it when t ends.
func peer(t *testing.T, s store.Store) store.Store {
	t.Helper()
	p, ok := s.(Peerer)
	if !ok {
		t.Fatalf("%T does not implement storetest.Peerer; the suite needs a second handle on the same state", s)
	}
	other, err := p.Peer()
	if err != nil {
		t.Fatalf("Peer: %v", err)
	}
	t.Cleanup(func() { _ = other.Close() })
	return other
}

// waitTimeout bounds every wait for something asynchronous. It is a guard
// against hangs, not a timing assertion: a healthy store answers in
// milliseconds.
const waitTimeout = 10 * time.Second

// eventually retries check until it returns nil or waitTimeout passes, and
// fails the test with its last error.
func eventually(t *testing.T, check func() error) {
	t.Helper()
	poll.UntilNil(t, waitTimeout, check)
}

// wantErr fails the test unless err is target (or nil when target is nil).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Fatalf("%s: got error %v, want nil", what, err)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// ms is a fixed, millisecond-aligned time: stores keep activity to the
// millisecond.
func ms(sec int64) time.Time { return time.Unix(1_700_000_000+sec, 0).UTC() }
