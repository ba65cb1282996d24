package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
)

// authorize is the hub's step of a workspace origin's sign-in: the hub
// knows the user from its own cookie, checks that they may use the
// namespace's workspaces, and sends the browser back to that origin with a
// one-time code for a session of its own (DESIGN "Origins").
func (w *Web) authorize(c echo.Context) error {
	ns, pathQuery, err := w.opts.WorkspaceSignIn.ParseNext(c.QueryParam("next"))
	if err != nil {
		return badRequest("next", "authorize.bad_next", nil)
	}
	ctx := c.Request().Context()
	id := identity(c)
	if !w.opts.Policy.CanConnect(ctx, id, ns) {
		return errNotFound
	}
	to, err := w.opts.WorkspaceSignIn.Begin(ctx, id, ns, pathQuery, c.QueryParam("state"))
	if errors.Is(err, auth.ErrUnauthenticated) {
		return errForbidden // an API token: it works on every origin without a cookie
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusFound, to)
}
