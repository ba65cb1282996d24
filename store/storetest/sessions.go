package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func testSessions(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	wantRevoked(t, s, "s1", false)
	wantErr(t, "RevokeSession", s.RevokeSession(ctx, "s1", time.Now().Add(time.Hour)), nil)
	wantRevoked(t, s, "s1", true)
	wantRevoked(t, peer(t, s), "s1", true)
	wantRevoked(t, s, "s2", false)

	wantErr(t, "RevokeSession until the past", s.RevokeSession(ctx, "s3", time.Now().Add(-time.Second)), nil)
	wantRevoked(t, s, "s3", false)

	// The revocation ends at until: afterwards the session expired anyway.
	wantErr(t, "RevokeSession", s.RevokeSession(ctx, "s4", time.Now().Add(200*time.Millisecond)), nil)
	eventually(t, func() error {
		revoked, err := s.IsSessionRevoked(ctx, "s4")
		switch {
		case err != nil:
			return err
		case revoked:
			return fmt.Errorf("IsSessionRevoked(s4) = true after its until, want false")
		}
		return nil
	})
	wantRevoked(t, s, "s1", true)
}

func wantRevoked(t *testing.T, s store.SessionStore, id string, want bool) {
	t.Helper()
	got, err := s.IsSessionRevoked(t.Context(), id)
	if err != nil || got != want {
		t.Errorf("IsSessionRevoked(%q) = %v, %v; want %v", id, got, err, want)
	}
}
