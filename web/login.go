package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
)

func (w *Web) loginPage(c echo.Context) error {
	if w.opts.SSO != nil {
		return w.ssoBegin(c)
	}
	if !w.opts.DevLogin {
		return errNotFound
	}
	return w.render(c, http.StatusOK, "login.html", map[string]any{"Next": safeNext(c.QueryParam("next"))})
}

// devLogin signs in whoever names themselves; it is only enabled on a
// loopback listener unless the operator insists.
func (w *Web) devLogin(c echo.Context) error {
	if !w.opts.DevLogin || w.opts.SSO != nil {
		return errNotFound
	}
	id, err := auth.DevIdentity(c.FormValue("username"))
	if fe, ok := fieldErrorOf(err); ok && acceptsHTML(c.Request()) {
		return w.render(c, http.StatusBadRequest, "login.html", map[string]any{
			"Next": safeNext(c.FormValue("next")), "Username": c.FormValue("username"),
			"Error": w.translator(c).fieldMessage(fe),
		})
	}
	if err != nil {
		return err
	}
	if id, err = w.signIn(c, id); err != nil {
		return err
	}
	w.log.InfoContext(c.Request().Context(), "login", "user", id.UserID, "mode", "dev")
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}

// signIn signs the user in (auth.Sessions sets the session cookie).
func (w *Web) signIn(c echo.Context, id auth.Identity) (auth.Identity, error) {
	id, err := w.opts.Sessions.SignIn(c.Request().Context(), c.Response(), id)
	if err != nil {
		return auth.Identity{}, err
	}
	c.Response().Header().Set("Cache-Control", "no-store") // it carries the session
	return id, nil
}

// renewSession keeps the sessions of people who keep working alive.
func (w *Web) renewSession(c echo.Context, id auth.Identity) {
	if err := w.opts.Sessions.Renew(c.Response(), id); err != nil {
		w.log.WarnContext(c.Request().Context(), "renew session", "err", err)
	}
}

// logout signs the caller out: their session, if the request carries a
// valid one, is revoked everywhere, and the cookie cleared.
func (w *Web) logout(c echo.Context) error {
	id, err := w.opts.Auth.Authenticate(c.Request())
	if err != nil {
		id = auth.Identity{} // nothing to revoke; the cookie is cleared all the same
	}
	if err := w.opts.Sessions.SignOut(c.Request().Context(), c.Response(), id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

// safeNext keeps a post-login redirect on this site: only a local path is
// accepted, never another host ("//evil", "/\evil", "https://evil").
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.ContainsAny(next, "\r\n\t\\") {
		return "/"
	}
	return u.RequestURI()
}
