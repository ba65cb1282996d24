package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/store"
)

// devUserPattern is what the development login accepts as a user name.
var devUserPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,63}$`)

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
	name := strings.ToLower(strings.TrimSpace(c.FormValue("username")))
	if !devUserPattern.MatchString(name) {
		return badRequest("username", "username.invalid", nil)
	}
	id, err := w.signIn(c, auth.Identity{UserID: name, Name: name, Email: emailOf(name)})
	if err != nil {
		return err
	}
	w.log.InfoContext(c.Request().Context(), "login", "user", id.UserID, "mode", "dev")
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}

func emailOf(name string) string {
	if strings.Contains(name, "@") {
		return name
	}
	return ""
}

// signIn records the user, makes sure they own a namespace, and sets a
// fresh session cookie.
func (w *Web) signIn(c echo.Context, id auth.Identity) (auth.Identity, error) {
	ctx := c.Request().Context()
	now := w.now()
	ns, err := auth.EnsureNamespace(ctx, w.store, id.UserID, w.opts.NamespaceMapping, now)
	if err != nil {
		return auth.Identity{}, err
	}
	id.Namespace = ns
	u := store.User{ID: id.UserID, Name: id.Name, Email: id.Email, Groups: id.Groups, Namespace: ns, CreatedAt: now, LastLogin: now}
	if old, err := w.store.GetUser(ctx, id.UserID); err == nil {
		u.CreatedAt, u.Language = old.CreatedAt, old.Language
	}
	if err := w.store.PutUser(ctx, u); err != nil {
		return auth.Identity{}, err
	}
	token, id, exp, err := w.opts.Signer.Issue(id)
	if err != nil {
		return auth.Identity{}, err
	}
	w.cookies().Set(c.Response(), "", token, exp)
	c.Response().Header().Set("Cache-Control", "no-store") // it carries the session
	return id, nil
}

// renewSession keeps the sessions of people who keep working alive.
func (w *Web) renewSession(c echo.Context, id auth.Identity) {
	if err := w.opts.Signer.Renew(c.Response(), id, w.cookies()); err != nil {
		w.log.WarnContext(c.Request().Context(), "renew session", "err", err)
	}
}

// cookies names and writes the session cookies.
func (w *Web) cookies() auth.Cookies { return auth.Cookies{Secure: w.opts.Secure} }

// logout revokes the session on every replica, which ends the sessions of
// every workspace origin it signed in to, and clears the cookie.
func (w *Web) logout(c echo.Context) error {
	id, err := w.opts.Auth.Authenticate(c.Request())
	if err == nil && id.SessionID != "" {
		until := id.Expires
		if until.IsZero() {
			until = w.now().Add(w.opts.Signer.TTL())
		}
		if err := w.store.RevokeSession(c.Request().Context(), id.SessionID, until.Add(time.Minute)); err != nil {
			return err
		}
	}
	w.cookies().Clear(c.Response(), "")
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
