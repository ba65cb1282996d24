package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// Token lifetimes: the default, and the longest allowed.
const (
	defaultTokenTTL = 30 * 24 * time.Hour
	maxTokenTTL     = 365 * 24 * time.Hour
)

type tokenRequest struct {
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	ExpiresIn string   `json:"expiresIn"` // a Go duration, e.g. "720h"
}

// tokenView is a token as listed; Token (the secret) is only ever in the
// creation response.
type tokenView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	Token     string    `json:"token,omitempty"`
}

func (w *Web) createToken(c echo.Context) error {
	id := identity(c)
	if id.TokenID != "" {
		return errForbidden // a token may not mint tokens
	}
	var req tokenRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	t, err := w.newToken(id, req)
	if err != nil {
		return err
	}
	secret, hash := auth.NewTokenSecret()
	t.Hash = hash
	if err := w.storeToken(c.Request().Context(), id, t); err != nil {
		return err
	}
	v := viewToken(t)
	v.Token = secret
	c.Response().Header().Set("Cache-Control", "no-store") // the secret is in this answer only
	return c.JSON(http.StatusCreated, v)
}

// storeToken stores t unless its user already has as many tokens as the
// limit of the namespace they own; the count and the write hold the
// user's token lease, so that replicas racing cannot both take the last
// place.
func (w *Web) storeToken(ctx context.Context, id auth.Identity, t store.Token) error {
	limit := w.opts.Quotas.For(id.Namespace).TokensPerUser
	if limit == 0 {
		return w.store.CreateToken(ctx, t)
	}
	return w.withLease(ctx, "tokens:"+t.User, func() error {
		have, err := w.store.ListTokens(ctx, t.User)
		if err != nil {
			return err
		}
		if len(have) >= limit {
			return &form.FieldError{Code: "quota.tokensPerUser", Params: map[string]any{"limit": limit}, Err: form.ErrLimitReached}
		}
		return w.store.CreateToken(ctx, t)
	})
}

// newToken validates a token request.
func (w *Web) newToken(id auth.Identity, req tokenRequest) (store.Token, error) {
	ttl := defaultTokenTTL
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 || d > maxTokenTTL {
			return store.Token{}, badRequest("expiresIn", "token.expiry", map[string]any{"Max": "8760h"})
		}
		ttl = d
	}
	if len(req.Name) > 100 {
		return store.Token{}, badRequest("name", "token.name", nil)
	}
	scopes := req.Scopes
	if len(scopes) == 0 {
		scopes = []string{auth.ScopeServers}
	}
	for i, s := range scopes {
		if s != auth.ScopeServers && s != auth.ScopeAdmin {
			return store.Token{}, badRequest(fieldIndex("scopes", i), "token.scope", map[string]any{"Scope": s})
		}
		if s == auth.ScopeAdmin && !id.Admin {
			return store.Token{}, badRequest(fieldIndex("scopes", i), "token.scope_admin", nil)
		}
	}
	now := w.now()
	return store.Token{
		ID: "tok_" + randomString(12), User: id.UserID, Name: req.Name, Scopes: scopes,
		CreatedAt: now, ExpiresAt: now.Add(ttl),
	}, nil
}

func (w *Web) listTokens(c echo.Context) error {
	tokens, err := w.store.ListTokens(c.Request().Context(), identity(c).UserID)
	if err != nil {
		return err
	}
	out := list[tokenView]{Items: make([]tokenView, 0, len(tokens))}
	for _, t := range tokens {
		out.Items = append(out.Items, viewToken(t))
	}
	return c.JSON(http.StatusOK, out)
}

func (w *Web) deleteToken(c echo.Context) error {
	if err := w.store.DeleteToken(c.Request().Context(), identity(c).UserID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func viewToken(t store.Token) tokenView {
	return tokenView{ID: t.ID, Name: t.Name, Scopes: t.Scopes, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}
}
