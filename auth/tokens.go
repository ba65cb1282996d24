package auth

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// Token lifetimes: the default, and the longest allowed.
const (
	defaultTokenTTL = 30 * 24 * time.Hour
	maxTokenTTL     = 365 * 24 * time.Hour
)

// maxTokenName is the longest token name, in bytes.
const maxTokenName = 100

// TokenStore keeps API tokens, and the leases that make a user's token
// count and the write it allows one step.
type TokenStore interface {
	CreateToken(ctx context.Context, t store.Token) error
	ListTokens(ctx context.Context, userID string) ([]store.Token, error)
	DeleteToken(ctx context.Context, userID, id string) error
	store.LeaseStore
}

// TokenRequest asks for an API token.
type TokenRequest struct {
	Name      string
	Scopes    []string // ScopeServers when empty
	ExpiresIn string   // a Go duration, e.g. "720h"; 30 days when empty
}

// Tokens is the API token policy: lifetimes, scopes, ids, hashing, and
// the per-user limit.
type Tokens struct {
	store TokenStore
	limit func(namespace string) int // 0: no limit
	now   func() time.Time
	log   *slog.Logger
}

// NewTokens issues tokens into st. limit is how many tokens a user may
// hold, by the namespace they own (0 for no limit).
func NewTokens(st TokenStore, limit func(namespace string) int, log *slog.Logger) *Tokens {
	return &Tokens{store: st, limit: limit, now: time.Now, log: log.With("component", "auth")}
}

// MayCreateTokens is ErrForbidden for a caller authenticated by an API
// token: a token may not mint tokens.
func MayCreateTokens(id Identity) error {
	if id.TokenID != "" {
		return ErrForbidden
	}
	return nil
}

// Create issues a token for the caller and returns it with its secret,
// which is never stored (only its hash is).
func (t *Tokens) Create(ctx context.Context, id Identity, req TokenRequest) (store.Token, string, error) {
	if err := MayCreateTokens(id); err != nil {
		return store.Token{}, "", err
	}
	tok, err := t.newToken(id, req)
	if err != nil {
		return store.Token{}, "", err
	}
	secret, hash := NewTokenSecret()
	tok.Hash = hash
	if err := t.save(ctx, id, tok); err != nil {
		return store.Token{}, "", err
	}
	return tok, secret, nil
}

// List returns the user's tokens.
func (t *Tokens) List(ctx context.Context, userID string) ([]store.Token, error) {
	return t.store.ListTokens(ctx, userID)
}

// Delete revokes one of the user's tokens.
func (t *Tokens) Delete(ctx context.Context, userID, tokenID string) error {
	return t.store.DeleteToken(ctx, userID, tokenID)
}

// save stores tok unless its user already has as many tokens as the limit
// of the namespace they own; the count and the write hold the user's token
// lease, so that replicas racing cannot both take the last place.
func (t *Tokens) save(ctx context.Context, id Identity, tok store.Token) error {
	limit := t.limit(id.Namespace)
	if limit == 0 {
		return t.store.CreateToken(ctx, tok)
	}
	return withLease(ctx, t.store, t.log, "tokens:"+tok.User, func() error {
		have, err := t.store.ListTokens(ctx, tok.User)
		if err != nil {
			return err
		}
		if len(have) >= limit {
			return &FieldError{Code: "quota.tokensPerUser", Params: map[string]any{"limit": limit}, Err: ErrLimitReached}
		}
		return t.store.CreateToken(ctx, tok)
	})
}

// newToken checks a token request and returns the token it asks for,
// without its hash.
func (t *Tokens) newToken(id Identity, req TokenRequest) (store.Token, error) {
	ttl, err := tokenTTL(req.ExpiresIn)
	if err != nil {
		return store.Token{}, err
	}
	if len(req.Name) > maxTokenName {
		return store.Token{}, badField("name", "token.name", nil)
	}
	scopes, err := tokenScopes(id, req.Scopes)
	if err != nil {
		return store.Token{}, err
	}
	now := t.now()
	return store.Token{
		ID: "tok_" + randomLower(12), User: id.UserID, Name: req.Name, Scopes: scopes,
		CreatedAt: now, ExpiresAt: now.Add(ttl),
	}, nil
}

// tokenTTL is the lifetime a request asks for: a positive duration up to
// a year, 30 days when it names none.
func tokenTTL(expiresIn string) (time.Duration, error) {
	if expiresIn == "" {
		return defaultTokenTTL, nil
	}
	d, err := time.ParseDuration(expiresIn)
	if err != nil || d <= 0 || d > maxTokenTTL {
		return 0, badField("expiresIn", "token.expiry", map[string]any{"Max": "8760h"})
	}
	return d, nil
}

// tokenScopes checks the scopes a request asks for (servers when none);
// only administrators may have admin tokens.
func tokenScopes(id Identity, scopes []string) ([]string, error) {
	if len(scopes) == 0 {
		return []string{ScopeServers}, nil
	}
	for i, s := range scopes {
		field := "scopes[" + strconv.Itoa(i) + "]"
		if s != ScopeServers && s != ScopeAdmin {
			return nil, badField(field, "token.scope", map[string]any{"Scope": s})
		}
		if s == ScopeAdmin && !id.Admin {
			return nil, badField(field, "token.scope_admin", nil)
		}
	}
	return scopes, nil
}
