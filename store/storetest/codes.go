package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func testCodes(t *testing.T, newStore NewStore) {
	s := newStore(t)
	other := peer(t, s)
	ctx := t.Context()

	wantErr(t, "PutCode", s.PutCode(ctx, "c1", "value-1", time.Minute), nil)
	if v, err := other.TakeCode(ctx, "c1"); err != nil || v != "value-1" {
		t.Fatalf("TakeCode(c1) on a peer = %q, %v; want value-1", v, err)
	}
	_, err := s.TakeCode(ctx, "c1")
	wantErr(t, "TakeCode(c1) a second time", err, store.ErrNotFound)
	_, err = s.TakeCode(ctx, "never")
	wantErr(t, "TakeCode(never)", err, store.ErrNotFound)

	// An expired code cannot be taken.
	wantErr(t, "PutCode short", s.PutCode(ctx, "short", "v", 50*time.Millisecond), nil)
	time.Sleep(300 * time.Millisecond) // past the ttl, whatever the load
	_, err = other.TakeCode(ctx, "short")
	wantErr(t, "TakeCode(short) after its ttl", err, store.ErrNotFound)

	// Many takers racing for one code: exactly one wins.
	wantErr(t, "PutCode race", s.PutCode(ctx, "race", "v", time.Minute), nil)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			st := s
			if i%2 == 1 {
				st = other
			}
			if _, err := st.TakeCode(ctx, "race"); err == nil {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d of 20 racing TakeCode calls won, want exactly 1", n)
	}
}
