package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func testLeases(t *testing.T, newStore NewStore) {
	s := newStore(t)
	other := peer(t, s)
	ctx := t.Context()

	wantLease(t, s, "culler", "a", time.Minute, true)
	wantLease(t, other, "culler", "b", time.Minute, false)
	wantLease(t, s, "culler", "a", time.Minute, true) // renew
	wantLease(t, other, "other", "b", time.Minute, true)

	wantErr(t, "ReleaseLease by another holder", other.ReleaseLease(ctx, "culler", "b"), nil)
	wantLease(t, other, "culler", "b", time.Minute, false)
	wantErr(t, "ReleaseLease", s.ReleaseLease(ctx, "culler", "a"), nil)
	wantLease(t, other, "culler", "b", time.Minute, true)
	wantErr(t, "ReleaseLease of a lease not held", s.ReleaseLease(ctx, "nothing", "a"), nil)

	// A holder that stops renewing loses the lease after its ttl.
	wantLease(t, s, "short", "a", 200*time.Millisecond, true)
	eventually(t, func() error {
		ok, err := other.AcquireLease(ctx, "short", "b", time.Minute)
		switch {
		case err != nil:
			return err
		case !ok:
			return fmt.Errorf("AcquireLease(short, b) = false after a's ttl, want true")
		}
		return nil
	})
	wantLease(t, s, "short", "a", time.Minute, false)
}

func wantLease(t *testing.T, s store.LeaseStore, name, holder string, ttl time.Duration, want bool) {
	t.Helper()
	got, err := s.AcquireLease(t.Context(), name, holder, ttl)
	if err != nil || got != want {
		t.Fatalf("AcquireLease(%q, %q) = %v, %v; want %v", name, holder, got, err, want)
	}
}
