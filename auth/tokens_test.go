package auth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store/memory"
)

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestTokens(t *testing.T, limit int) (*Tokens, *memory.Store, time.Time) {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tk := NewTokens(st, func(string) int { return limit }, discardLog())
	tk.now = func() time.Time { return now }
	return tk, st, now
}

func fieldOf(err error) (field, code string) {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Field, fe.Code
	}
	return "", ""
}

// TestTokenPolicy: lifetimes (30 days by default, a year at most), names,
// scopes (servers by default; admin for administrators only) are checked
// with the field they are in.
func TestTokenPolicy(t *testing.T) {
	tk, _, _ := newTestTokens(t, 0)
	user, admin := Identity{UserID: "alice", Namespace: "alice"}, Identity{UserID: "root", Namespace: "root", Admin: true}
	for _, tt := range []struct {
		name        string
		id          Identity
		req         TokenRequest
		field, code string
	}{
		{"defaults", user, TokenRequest{}, "", ""},
		{"a year", user, TokenRequest{ExpiresIn: "8760h"}, "", ""},
		{"over a year", user, TokenRequest{ExpiresIn: "8761h"}, "expiresIn", "token.expiry"},
		{"zero", user, TokenRequest{ExpiresIn: "0s"}, "expiresIn", "token.expiry"},
		{"negative", user, TokenRequest{ExpiresIn: "-1h"}, "expiresIn", "token.expiry"},
		{"no duration", user, TokenRequest{ExpiresIn: "a month"}, "expiresIn", "token.expiry"},
		{"long name", user, TokenRequest{Name: strings.Repeat("n", 101)}, "name", "token.name"},
		{"unknown scope", user, TokenRequest{Scopes: []string{"servers", "root"}}, "scopes[1]", "token.scope"},
		{"admin scope for a user", user, TokenRequest{Scopes: []string{"admin"}}, "scopes[0]", "token.scope_admin"},
		{"admin scope for an admin", admin, TokenRequest{Scopes: []string{"admin"}}, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tk.Create(context.Background(), tt.id, tt.req)
			if field, code := fieldOf(err); field != tt.field || code != tt.code || (tt.code == "" && err != nil) {
				t.Errorf("Create(%+v) = %v (field %q code %q), want field %q code %q", tt.req, err, field, code, tt.field, tt.code)
			}
		})
	}
}

// TestTokenCreated: a token has a tok_ id, the default scope and lifetime,
// and only the hash of its shp_ secret is stored.
func TestTokenCreated(t *testing.T) {
	tk, st, now := newTestTokens(t, 0)
	tok, secret, err := tk.Create(context.Background(), Identity{UserID: "alice", Namespace: "alice"}, TokenRequest{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.ID) != len("tok_")+12 || !strings.HasPrefix(tok.ID, "tok_") || !looksLikeToken(secret) {
		t.Errorf("id %q, secret %q: want tok_ and 12 characters, an shp_ secret", tok.ID, secret)
	}
	if len(tok.Scopes) != 1 || tok.Scopes[0] != ScopeServers || !tok.CreatedAt.Equal(now) || !tok.ExpiresAt.Equal(now.Add(30*24*time.Hour)) {
		t.Errorf("token %+v: want scope servers, created now, expiring in 30 days", tok)
	}
	stored, err := st.TokenByHash(context.Background(), HashToken(secret))
	if err != nil || stored.ID != tok.ID || stored.Hash == secret || strings.Contains(stored.Hash, secret) {
		t.Errorf("stored = %+v, %v; want the token found by its hash, without the secret", stored, err)
	}
}

// TestTokenLimitAndMinting: a user past their limit is refused with
// ErrLimitReached naming it; a token never mints tokens.
func TestTokenLimitAndMinting(t *testing.T) {
	tk, _, _ := newTestTokens(t, 2)
	alice := Identity{UserID: "alice", Namespace: "alice"}
	for range 2 {
		if _, _, err := tk.Create(context.Background(), alice, TokenRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := tk.Create(context.Background(), alice, TokenRequest{})
	var fe *FieldError
	if !errors.As(err, &fe) || !errors.Is(err, ErrLimitReached) || fe.Code != "quota.tokensPerUser" || fe.Params["limit"] != 2 {
		t.Errorf("third token = %v, want quota.tokensPerUser with limit 2 and ErrLimitReached", err)
	}
	byToken := Identity{UserID: "bob", Namespace: "bob", TokenID: "tok_x", Scopes: []string{ScopeServers}}
	if _, _, err := tk.Create(context.Background(), byToken, TokenRequest{}); !errors.Is(err, ErrForbidden) {
		t.Errorf("a token minting a token = %v, want ErrForbidden", err)
	}
}
