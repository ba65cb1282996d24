package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/spawner/form"
)

// Keys of values kept in the echo context.
const (
	ctxIdentity = "spawnhub.identity"
	ctxRole     = "spawnhub.role"
)

// identity returns the authenticated caller; only valid behind
// requireAPIUser or requirePageUser.
func identity(c echo.Context) auth.Identity {
	id, _ := c.Get(ctxIdentity).(auth.Identity)
	return id
}

// requester describes the caller to the spawner's form policy.
func requester(c echo.Context, lang string) form.Requester {
	id := identity(c)
	return form.Requester{UserID: id.UserID, Email: id.Email, Groups: id.Groups, Language: lang}
}

func (w *Web) translator(c echo.Context) Translator {
	return w.opts.Catalog.For(requestLanguage(c.Request()))
}

// requireAPIUser answers 401 JSON to requests without valid credentials.
func (w *Web) requireAPIUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := w.opts.Auth.Authenticate(c.Request())
		if err != nil {
			return err
		}
		c.Set(ctxIdentity, id)
		w.renewSession(c, id)
		return next(c)
	}
}

// requirePageUser sends browsers without a session to the login page, to
// come back to the same URL afterwards.
func (w *Web) requirePageUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := w.opts.Auth.Authenticate(c.Request())
		if errors.Is(err, auth.ErrUnauthenticated) {
			if !wantsHTML(c.Request()) {
				return err
			}
			return c.Redirect(http.StatusFound, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		if err != nil {
			return err
		}
		c.Set(ctxIdentity, id)
		w.renewSession(c, id)
		return next(c)
	}
}

// requireRole lets through callers with at least role in the :ns
// namespace. Callers with no role get 404, those with too low a role 403.
func (w *Web) requireRole(min auth.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			role, err := w.role(c)
			if err != nil {
				return err
			}
			if role == auth.RoleNone {
				return errNotFound
			}
			if role < min {
				return errForbidden
			}
			return next(c)
		}
	}
}

// role is the caller's role in the :ns namespace. The policy is asked
// once per request: nested groups (view, then edit or owner) and handlers
// reuse the answer kept in the context.
func (w *Web) role(c echo.Context) (auth.Role, error) {
	if role, ok := c.Get(ctxRole).(auth.Role); ok {
		return role, nil
	}
	role, err := w.opts.Policy.Role(c.Request().Context(), identity(c), c.Param("ns"))
	if err != nil {
		return auth.RoleNone, err
	}
	c.Set(ctxRole, role)
	return role, nil
}

// noStore keeps every API answer out of caches: they are for one caller,
// and some carry a secret (a new token).
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// requireAdmin lets through administrators only; others get 404.
func (w *Web) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !identity(c).Admin {
			return errNotFound
		}
		return next(c)
	}
}

// wantsHTML tells a browser navigation from an API or websocket client.
// acceptsHTML tells a browser's form submission (which asks for a page).
func acceptsHTML(r *http.Request) bool { return strings.Contains(r.Header.Get("Accept"), "text/html") }

func wantsHTML(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}
