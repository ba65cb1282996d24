package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/store"
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
	if err := auth.MayCreateTokens(identity(c)); err != nil {
		return err // refused before the body is read
	}
	var req tokenRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	t, secret, err := w.opts.Tokens.Create(c.Request().Context(), identity(c), auth.TokenRequest(req))
	if err != nil {
		return err
	}
	v := viewToken(t)
	v.Token = secret
	c.Response().Header().Set("Cache-Control", "no-store") // the secret is in this answer only
	return c.JSON(http.StatusCreated, v)
}

func (w *Web) listTokens(c echo.Context) error {
	tokens, err := w.opts.Tokens.List(c.Request().Context(), identity(c).UserID)
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
	if err := w.opts.Tokens.Delete(c.Request().Context(), identity(c).UserID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func viewToken(t store.Token) tokenView {
	return tokenView{ID: t.ID, Name: t.Name, Scopes: t.Scopes, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}
}
