package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func testConcurrency(t *testing.T, newStore NewStore) {
	t.Run("one winner", func(t *testing.T) { testOneWinner(t, newStore(t)) })
	t.Run("increments", func(t *testing.T) { testIncrements(t, newStore(t)) })
	t.Run("writers", func(t *testing.T) { testWriters(t, newStore(t)) })
}

// testOneWinner has 20 replicas try to queue the same stopped server with
// the same version: exactly one may.
func testOneWinner(t *testing.T, s store.Store) {
	ctx := t.Context()
	other := peer(t, s)
	v1, err := s.CreateServer(ctx, server("alice", "lab"))
	wantErr(t, "CreateServer", err, nil)
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			h := []store.Store{s, other}[i%2]
			next := v1
			next.Phase = store.PhaseQueued
			next.Owner = fmt.Sprint("replica-", i)
			_, errs[i] = h.UpdateServer(ctx, next)
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("replicas %d and %d both queued the server", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("replica %d: got error %v, want %v", i, err, store.ErrConflict)
		}
	}
	if winner < 0 {
		t.Fatal("no replica queued the server")
	}
	got, err := s.GetServer(ctx, "alice", "lab")
	wantErr(t, "GetServer", err, nil)
	if want := fmt.Sprint("replica-", winner); got.Owner != want || got.Version != 2 || got.Phase != store.PhaseQueued {
		t.Errorf("GetServer = owner %q version %d phase %s, want owner %q version 2 phase queued", got.Owner, got.Version, got.Phase, want)
	}
}

// testIncrements has writers retry compare-and-set until each of their
// updates lands: no update may be lost.
func testIncrements(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.CreateServer(ctx, server("alice", "counter"))
	wantErr(t, "CreateServer", err, nil)
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			for range each {
				if err := increment(ctx, s, "alice", "counter"); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := s.GetServer(ctx, "alice", "counter")
	wantErr(t, "GetServer", err, nil)
	if want := fmt.Sprint(writers * each); got.Message != want || got.Version != 1+writers*each {
		t.Errorf("after %d increments: message %q version %d, want %q and %d", writers*each, got.Message, got.Version, want, 1+writers*each)
	}
}

// increment adds one to the number in the server's Message, retrying on
// conflict as the spawner does.
func increment(ctx context.Context, s store.Store, ns, name string) error {
	for {
		cur, err := s.GetServer(ctx, ns, name)
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(cur.Message) // "" is 0
		cur.Message = strconv.Itoa(n + 1)
		_, err = s.UpdateServer(ctx, cur)
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
}

// testWriters has many goroutines write different records at once.
func testWriters(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			key := store.Key{Namespace: fmt.Sprint("ns", i%4), Name: fmt.Sprint("srv", i)}
			if _, err := s.CreateServer(ctx, server(key.Namespace, key.Name)); err != nil {
				errs <- fmt.Errorf("CreateServer %s: %w", key, err)
				return
			}
			for j := range 5 {
				marks := map[store.Key]time.Time{key: ms(int64(j))}
				if err := s.MarkActivity(ctx, marks); err != nil {
					errs <- fmt.Errorf("MarkActivity %s: %w", key, err)
					return
				}
				if err := s.AppendEvent(ctx, key, store.Event{Time: ms(int64(j)), Reason: "Step"}); err != nil {
					errs <- fmt.Errorf("AppendEvent %s: %w", key, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	list, err := s.ListServers(ctx, "")
	wantErr(t, "ListServers", err, nil)
	if len(list) != n {
		t.Errorf("ListServers after %d concurrent creates = %d servers, want %d", n, len(list), n)
	}
	idle, err := s.IdleSince(ctx, ms(5))
	wantErr(t, "IdleSince", err, nil)
	if len(idle) != n {
		t.Errorf("IdleSince after concurrent marks = %d servers, want %d", len(idle), n)
	}
	for _, a := range idle {
		if !a.Last.Equal(ms(4)) {
			t.Errorf("last activity of %s = %v, want %v", a.Key, a.Last, ms(4))
		}
		if events, _ := s.ListEvents(ctx, a.Key); len(events) != 5 {
			t.Errorf("ListEvents(%s) = %d events, want 5", a.Key, len(events))
		}
	}
}
