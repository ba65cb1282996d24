package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/store"
)

// CreateToken stores t by hash and by id, both expiring with the token, and
// indexes it under its user. A token that has already expired is not
// stored: it could never be used or listed. The hash and id live in
// different slots; the id is claimed second and the hash released if that
// fails.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	var ttl time.Duration // zero: no expiry
	if !t.ExpiresAt.IsZero() {
		if ttl = time.Until(t.ExpiresAt); ttl < time.Millisecond {
			return nil
		}
	}
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode token %s: %w", t.ID, err)
	}
	if err := s.claim(ctx, s.k.token(t.Hash), b, ttl); err != nil {
		return fmt.Errorf("create token %s: hash: %w", t.ID, err)
	}
	if err := s.claim(ctx, s.k.tokenID(t.ID), b, ttl); err != nil {
		if delErr := s.rdb.Del(ctx, s.k.token(t.Hash)).Err(); delErr != nil {
			err = errors.Join(err, fmt.Errorf("release hash: %w", delErr))
		}
		return fmt.Errorf("create token %s: id: %w", t.ID, err)
	}
	z := goredis.Z{Score: float64(t.CreatedAt.UnixMilli()), Member: t.ID}
	if err := s.rdb.ZAdd(ctx, s.k.userTokens(t.User), z).Err(); err != nil {
		return fmt.Errorf("create token %s: index: %w", t.ID, err)
	}
	return nil
}

// claim sets key to b unless it exists (ErrConflict).
func (s *Store) claim(ctx context.Context, key string, b []byte, ttl time.Duration) error {
	ok, err := s.rdb.SetNX(ctx, key, b, ttl).Result()
	switch {
	case err != nil:
		return err
	case !ok:
		return store.ErrConflict
	}
	return nil
}

// TokenByHash returns the unexpired token with that hash.
func (s *Store) TokenByHash(ctx context.Context, hash string) (store.Token, error) {
	t, err := s.getToken(ctx, s.k.token(hash))
	if err != nil {
		return store.Token{}, fmt.Errorf("token by hash: %w", err)
	}
	return t, nil
}

// getToken reads a token record; ErrNotFound if missing or expired.
func (s *Store) getToken(ctx context.Context, key string) (store.Token, error) {
	b, err := s.rdb.Get(ctx, key).Bytes()
	if err != nil {
		return store.Token{}, translate(err)
	}
	return decodeToken(b)
}

func decodeToken(b []byte) (store.Token, error) {
	var t store.Token
	if err := json.Unmarshal(b, &t); err != nil {
		return store.Token{}, fmt.Errorf("decode token: %w", err)
	}
	if !t.ExpiresAt.IsZero() && !time.Now().Before(t.ExpiresAt) {
		return store.Token{}, fmt.Errorf("token %s expired: %w", t.ID, store.ErrNotFound)
	}
	return t, nil
}

// ListTokens returns the user's unexpired tokens, newest first, and prunes
// expired ones from the user's index.
func (s *Store) ListTokens(ctx context.Context, userID string) ([]store.Token, error) {
	index := s.k.userTokens(userID)
	ids, err := s.rdb.ZRevRange(ctx, index, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list tokens of %s: %w", userID, err)
	}
	cmds := make([]*goredis.StringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, s.k.tokenID(id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("list tokens of %s: %w", userID, err)
	}
	var list []store.Token
	var gone []any
	for i, cmd := range cmds {
		t, err := decodeStringCmd(cmd)
		switch {
		case errors.Is(err, store.ErrNotFound):
			gone = append(gone, ids[i])
		case err != nil:
			return nil, fmt.Errorf("list tokens of %s: %w", userID, err)
		default:
			list = append(list, t)
		}
	}
	if len(gone) > 0 {
		if err := s.rdb.ZRem(ctx, index, gone...).Err(); err != nil {
			return nil, fmt.Errorf("prune tokens of %s: %w", userID, err)
		}
	}
	return list, nil
}

func decodeStringCmd(cmd *goredis.StringCmd) (store.Token, error) {
	b, err := cmd.Bytes()
	if err != nil {
		return store.Token{}, translate(err)
	}
	return decodeToken(b)
}

// DeleteToken removes the user's token with that id and publishes its hash
// on store.TopicTokens; ErrNotFound if the user has no such token. The
// record by hash goes first, so that the token stops working even if a
// later step fails.
func (s *Store) DeleteToken(ctx context.Context, userID, id string) error {
	t, err := s.getToken(ctx, s.k.tokenID(id))
	if err == nil && t.User != userID {
		err = store.ErrNotFound // not theirs: do not tell
	}
	if err != nil {
		return fmt.Errorf("delete token %s of %s: %w", id, userID, err)
	}
	if err := delPublish.Run(ctx, s.rdb, []string{s.k.token(t.Hash)},
		s.k.topic(store.TopicTokens), t.Hash).Err(); err != nil {
		return fmt.Errorf("delete token %s of %s: %w", id, userID, err)
	}
	if err := s.rdb.Del(ctx, s.k.tokenID(id)).Err(); err != nil {
		return fmt.Errorf("delete token %s of %s: id: %w", id, userID, err)
	}
	if err := s.rdb.ZRem(ctx, s.k.userTokens(userID), id).Err(); err != nil {
		return fmt.Errorf("delete token %s of %s: index: %w", id, userID, err)
	}
	return nil
}
