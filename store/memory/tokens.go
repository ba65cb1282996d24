package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// CreateToken stores t; ErrConflict if its hash or ID is known.
func (s *Store) CreateToken(_ context.Context, t store.Token) error {
	b, err := encode("token "+t.ID, t)
	if err != nil {
		return err
	}
	st := s.st
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.forgetExpired(t.Hash, now)
	st.forgetExpired(st.tokenIDs[t.ID], now)
	_, hashTaken := st.tokens[t.Hash]
	_, idTaken := st.tokenIDs[t.ID]
	if hashTaken || idTaken {
		return fmt.Errorf("create token %s: %w", t.ID, store.ErrConflict)
	}
	st.tokens[t.Hash] = b
	st.tokenIDs[t.ID] = t.Hash
	return nil
}

// forgetExpired removes the token with that hash if it has expired, as
// Redis would have; st.mu is held.
func (st *state) forgetExpired(hash string, now time.Time) {
	b, ok := st.tokens[hash]
	if !ok {
		return
	}
	if t, err := decode[store.Token]("token", b); err == nil && expired(t, now) {
		delete(st.tokens, hash)
		delete(st.tokenIDs, t.ID)
	}
}

// TokenByHash returns the unexpired token with that hash.
func (s *Store) TokenByHash(_ context.Context, hash string) (store.Token, error) {
	st := s.st
	st.mu.Lock()
	b, ok := st.tokens[hash]
	st.mu.Unlock()
	if !ok {
		return store.Token{}, fmt.Errorf("token by hash: %w", store.ErrNotFound)
	}
	t, err := decode[store.Token]("token", b)
	if err != nil {
		return store.Token{}, err
	}
	if expired(t, st.now()) {
		return store.Token{}, fmt.Errorf("token %s expired: %w", t.ID, store.ErrNotFound)
	}
	return t, nil
}

// ListTokens returns the user's unexpired tokens, newest first, and forgets
// the user's expired ones.
func (s *Store) ListTokens(_ context.Context, userID string) ([]store.Token, error) {
	st := s.st
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	var list []store.Token
	for hash, b := range st.tokens {
		t, err := decode[store.Token]("token", b)
		if err != nil {
			return nil, err
		}
		switch {
		case t.User != userID:
		case expired(t, now):
			delete(st.tokens, hash)
			delete(st.tokenIDs, t.ID)
		default:
			list = append(list, t)
		}
	}
	slices.SortFunc(list, func(a, b store.Token) int { // as Redis's ZREVRANGE
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return list, nil
}

// DeleteToken removes the user's token with that id and publishes its hash
// on store.TopicTokens; ErrNotFound if the user has no such token.
func (s *Store) DeleteToken(_ context.Context, userID, id string) error {
	st := s.st
	st.mu.Lock()
	hash, ok := st.tokenIDs[id]
	var t store.Token
	var err error
	if ok {
		t, err = decode[store.Token]("token "+id, st.tokens[hash])
	}
	owned := ok && err == nil && t.User == userID
	if owned {
		delete(st.tokens, hash)
		delete(st.tokenIDs, id)
	}
	st.mu.Unlock()
	if err != nil {
		return err
	}
	if !owned {
		return fmt.Errorf("delete token %s of %s: %w", id, userID, store.ErrNotFound)
	}
	st.hub.publish(store.TopicTokens, hash)
	return nil
}

// expired reports whether t has an expiry and it has passed.
func expired(t store.Token, now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
}
