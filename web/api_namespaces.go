package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/store"
)

// namespaceView is a namespace as its members see it.
type namespaceView struct {
	Name  string `json:"name"`
	Owner string `json:"owner"`
	Role  string `json:"role"` // the caller's: owner, edit, view (admin for administrators)
}

// contributorView is one person a namespace is shared with.
type contributorView struct {
	User string `json:"user"`
	Role string `json:"role"`
}

// listNamespaces returns the namespaces the caller owns or contributes to;
// every namespace for administrators.
func (w *Web) listNamespaces(c echo.Context) error {
	views, err := w.memberships(c.Request().Context(), identity(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[namespaceView]{Items: views})
}

// memberships lists the caller's namespaces, their own first.
func (w *Web) memberships(ctx context.Context, id auth.Identity) ([]namespaceView, error) {
	ms, err := w.opts.Sharing.Memberships(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]namespaceView, 0, len(ms))
	for _, m := range ms {
		out = append(out, namespaceView{Name: m.Namespace, Owner: m.Owner, Role: m.Role})
	}
	return out, nil
}

func (w *Web) listContributors(c echo.Context) error {
	n, err := w.store.GetNamespace(c.Request().Context(), c.Param("ns"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[contributorView]{Items: contributorViews(n)})
}

func contributorViews(n store.Namespace) []contributorView {
	out := make([]contributorView, 0, len(n.Contributors))
	for _, ct := range n.Contributors {
		out = append(out, contributorView(ct))
	}
	return out
}

// contributorRequest adds a contributor or changes their role.
type contributorRequest struct {
	User string `json:"user"` // an email (or a development login name)
	Role string `json:"role"` // edit or view
}

func (w *Web) addContributor(c echo.Context) error {
	var req contributorRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	n, err := w.opts.Sharing.SetContributor(c.Request().Context(), identity(c), c.Param("ns"), req.User, req.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[contributorView]{Items: contributorViews(n)})
}

func (w *Web) removeContributor(c echo.Context) error {
	if _, err := w.opts.Sharing.RemoveContributor(c.Request().Context(), identity(c), c.Param("ns"), c.Param("user")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// existingNamespace refuses to create anything in the :ns namespace
// unless it exists: 400 for a name that cannot be a namespace, 404 for one
// nobody owns. Administrators have a role in every namespace name; without
// this they could create servers and volumes for a namespace that a
// user's first login has yet to create (or, on Kubernetes, in any
// namespace of the cluster).
func (w *Web) existingNamespace(c echo.Context) error {
	ns := c.Param("ns")
	if !auth.ValidNamespace(ns) {
		return badRequest("namespace", "namespace.invalid", map[string]any{"namespace": ns})
	}
	if ns == identity(c).Namespace {
		return nil // created at login
	}
	if _, err := w.store.GetNamespace(c.Request().Context(), ns); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		return err
	}
	return nil
}
