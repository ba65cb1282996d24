package web

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
)

// tokenLifetimes are the lifetimes the tokens page offers (Go durations),
// the first the default.
var tokenLifetimes = []string{"720h", "168h", "24h", "2160h"}

// tokensPage lists the caller's API tokens and creates and revokes them
// (through the API; a new token's secret is shown once, by the page's
// script).
func (w *Web) tokensPage(c echo.Context) error {
	id := identity(c)
	tokens, err := w.opts.Tokens.List(c.Request().Context(), id.UserID)
	if err != nil {
		return err
	}
	views := make([]tokenView, 0, len(tokens))
	for _, t := range tokens {
		views = append(views, viewToken(t))
	}
	slices.SortFunc(views, func(a, b tokenView) int { return b.CreatedAt.Compare(a.CreatedAt) })
	scopes := []string{auth.ScopeServers}
	if id.Admin {
		scopes = append(scopes, auth.ScopeAdmin)
	}
	return w.render(c, http.StatusOK, "tokens.html", map[string]any{
		"Tokens": views, "Scopes": scopes, "Lifetimes": tokenLifetimes,
		"MayCreate": auth.MayCreateTokens(id) == nil,
	})
}

// favicon is the site's icon, for browsers that ask for /favicon.ico.
func (w *Web) favicon(c echo.Context) error {
	c.Request().URL.Path = "/static/favicon.svg"
	return w.static(c)
}
