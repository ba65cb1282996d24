package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func token(id, user string, created time.Time, expires time.Time) store.Token {
	return store.Token{
		ID: id, Hash: "hash-" + id, User: user, Name: "cli " + id,
		Scopes: []string{"servers"}, CreatedAt: created, ExpiresAt: expires,
	}
}

func testTokens(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	later := now.Add(time.Hour)
	old := token("t1", "jane", now.Add(-3*time.Minute), later)
	newer := token("t2", "jane", now.Add(-2*time.Minute), later)
	expired := token("t3", "jane", now.Add(-time.Minute), now.Add(-time.Second))
	bobs := token("t4", "bob", now, later)
	for _, tok := range []store.Token{old, newer, expired, bobs} {
		wantErr(t, "CreateToken "+tok.ID, s.CreateToken(ctx, tok), nil)
	}
	dupHash := token("t5", "jane", now, later)
	dupHash.Hash = old.Hash
	wantErr(t, "CreateToken with a known hash", s.CreateToken(ctx, dupHash), store.ErrConflict)
	dupID := token("t1", "jane", now, later)
	dupID.Hash = "another-hash"
	wantErr(t, "CreateToken with a known id", s.CreateToken(ctx, dupID), store.ErrConflict)
	_, err := s.TokenByHash(ctx, "another-hash")
	wantErr(t, "TokenByHash of a refused token", err, store.ErrNotFound)

	got, err := s.TokenByHash(ctx, old.Hash)
	wantErr(t, "TokenByHash", err, nil)
	if !reflect.DeepEqual(utcToken(got), old) {
		t.Errorf("TokenByHash = %+v, want %+v", got, old)
	}
	got.Scopes[0] = "changed"
	_, err = s.TokenByHash(ctx, expired.Hash)
	wantErr(t, "TokenByHash of an expired token", err, store.ErrNotFound)
	_, err = s.TokenByHash(ctx, "unknown")
	wantErr(t, "TokenByHash of an unknown hash", err, store.ErrNotFound)

	wantTokens(t, s, "jane", newer, old)
	wantTokens(t, s, "bob", bobs)
	wantTokens(t, s, "nobody")

	wantErr(t, "DeleteToken by another user", s.DeleteToken(ctx, "bob", old.ID), store.ErrNotFound)
	if _, err := s.TokenByHash(ctx, old.Hash); err != nil {
		t.Errorf("TokenByHash after another user's delete: %v", err)
	}
	wantErr(t, "DeleteToken of an unknown id", s.DeleteToken(ctx, "jane", "nope"), store.ErrNotFound)
	wantErr(t, "DeleteToken", s.DeleteToken(ctx, "jane", old.ID), nil)
	_, err = s.TokenByHash(ctx, old.Hash)
	wantErr(t, "TokenByHash after delete", err, store.ErrNotFound)
	wantTokens(t, s, "jane", newer)
	wantErr(t, "DeleteToken again", s.DeleteToken(ctx, "jane", old.ID), store.ErrNotFound)
}

func wantTokens(t *testing.T, s store.Store, user string, want ...store.Token) {
	t.Helper()
	got, err := s.ListTokens(t.Context(), user)
	wantErr(t, "ListTokens "+user, err, nil)
	var gotIDs, wantIDs []string
	for _, tok := range got {
		gotIDs = append(gotIDs, tok.ID)
	}
	for _, tok := range want {
		wantIDs = append(wantIDs, tok.ID)
	}
	if !reflect.DeepEqual(gotIDs, wantIDs) {
		t.Fatalf("ListTokens(%q) = %v, want %v (newest first, unexpired)", user, gotIDs, wantIDs)
	}
	for i := range got {
		if !reflect.DeepEqual(utcToken(got[i]), want[i]) {
			t.Errorf("ListTokens(%q)[%d] = %+v, want %+v", user, i, got[i], want[i])
		}
	}
}

func utcToken(tok store.Token) store.Token {
	tok.CreatedAt, tok.ExpiresAt = tok.CreatedAt.UTC(), tok.ExpiresAt.UTC()
	return tok
}
