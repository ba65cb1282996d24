package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
)

// ssoBegin sends the browser to the identity provider.
func (w *Web) ssoBegin(c echo.Context) error {
	u, err := w.opts.SSO.Begin(c.Response(), c.Request(), safeNext(c.QueryParam("next")))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, u)
}

// ssoCallback completes a login when the provider sends the browser back,
// signs the user in and returns them where they were going.
func (w *Web) ssoCallback(c echo.Context) error {
	if w.opts.SSO == nil {
		return errNotFound
	}
	ctx := c.Request().Context()
	id, next, err := w.opts.SSO.Finish(c.Response(), c.Request())
	if err != nil {
		w.log.WarnContext(ctx, "login refused", "err", err)
		return w.loginFailed(c, err)
	}
	id, err = w.signIn(c, id)
	if err != nil {
		return err
	}
	w.log.InfoContext(ctx, "login", "user", id.UserID, "mode", "oidc", "groups", len(id.Groups))
	return c.Redirect(http.StatusSeeOther, safeNext(next))
}

// loginFailed shows why a login did not complete, with a link to try
// again.
func (w *Web) loginFailed(c echo.Context, err error) error {
	status, msg := http.StatusBadGateway, "login.failed_provider"
	switch {
	case errors.Is(err, auth.ErrLoginState):
		status, msg = http.StatusBadRequest, "login.failed_state"
	case errors.Is(err, auth.ErrLoginDenied):
		status, msg = http.StatusForbidden, "login.failed_denied"
	case errors.Is(err, auth.ErrLoginToken):
		status, msg = http.StatusUnauthorized, "login.failed_token"
	}
	if !wantsHTML(c.Request()) {
		return c.JSON(status, apiError{Error: w.translator(c).T(msg)})
	}
	return w.render(c, status, "loginfailed.html", map[string]any{"Message": msg})
}
