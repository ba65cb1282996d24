package web

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/store"
)

// Contributor roles.
const (
	roleEdit = "edit"
	roleView = "view"
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
	ctx := c.Request().Context()
	views, err := w.memberships(ctx, identity(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[namespaceView]{Items: views})
}

// memberships lists the caller's namespaces, their own first.
func (w *Web) memberships(ctx context.Context, id auth.Identity) ([]namespaceView, error) {
	all, err := w.store.ListNamespaces(ctx)
	if err != nil {
		return nil, err
	}
	out := []namespaceView{}
	for _, n := range all {
		role, err := w.opts.Policy.Role(ctx, id, n.Name)
		if err != nil {
			return nil, err
		}
		if role == auth.RoleNone {
			continue
		}
		v := namespaceView{Name: n.Name, Owner: n.Owner, Role: roleName(role)}
		if id.Admin && n.Owner != id.UserID {
			v.Role = "admin"
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b namespaceView) int {
		return boolRank(b.Name == id.Namespace) - boolRank(a.Name == id.Namespace)
	})
	return out, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func roleName(r auth.Role) string {
	switch r {
	case auth.RoleOwner:
		return "owner"
	case auth.RoleEdit:
		return roleEdit
	case auth.RoleView:
		return roleView
	}
	return ""
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
	Role string `json:"role"`
}

func (w *Web) addContributor(c echo.Context) error {
	var req contributorRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	user, err := validContributor(req, identity(c))
	if err != nil {
		return err
	}
	n, err := w.updateNamespace(c.Request().Context(), c.Param("ns"), func(n *store.Namespace) error {
		if strings.EqualFold(n.Owner, user) {
			return badRequest("user", "contributor.owner", nil)
		}
		n.Contributors = slices.DeleteFunc(n.Contributors, func(ct store.Contributor) bool { return strings.EqualFold(ct.User, user) })
		n.Contributors = append(n.Contributors, store.Contributor{User: user, Role: req.Role})
		return nil
	})
	if err != nil {
		return err
	}
	w.log.InfoContext(c.Request().Context(), "contributor set", "ns", n.Name, "user", user, "role", req.Role, "by", identity(c).UserID)
	return c.JSON(http.StatusOK, list[contributorView]{Items: contributorViews(n)})
}

// validContributor checks a contributor request and returns the user id.
func validContributor(req contributorRequest, by auth.Identity) (string, error) {
	user := strings.ToLower(strings.TrimSpace(req.User))
	if !validUserID(user) {
		return "", badRequest("user", "contributor.user", nil)
	}
	if req.Role != roleEdit && req.Role != roleView {
		return "", badRequest("role", "contributor.role", nil)
	}
	if user == strings.ToLower(by.UserID) {
		return "", badRequest("user", "contributor.owner", nil)
	}
	return user, nil
}

// validUserID accepts an email address or a development login name.
func validUserID(s string) bool {
	if strings.Contains(s, "@") {
		a, err := mail.ParseAddress(s)
		return err == nil && a.Address == s
	}
	return devUserPattern.MatchString(s)
}

func (w *Web) removeContributor(c echo.Context) error {
	user := strings.ToLower(c.Param("user"))
	n, err := w.updateNamespace(c.Request().Context(), c.Param("ns"), func(n *store.Namespace) error {
		before := len(n.Contributors)
		n.Contributors = slices.DeleteFunc(n.Contributors, func(ct store.Contributor) bool { return strings.EqualFold(ct.User, user) })
		if len(n.Contributors) == before {
			return errNotFound
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.log.InfoContext(c.Request().Context(), "contributor removed", "ns", n.Name, "user", user, "by", identity(c).UserID)
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

// updateNamespace applies change with compare-and-set, retrying when
// another request changed the namespace meanwhile.
func (w *Web) updateNamespace(ctx context.Context, name string, change func(*store.Namespace) error) (store.Namespace, error) {
	for range 5 {
		n, err := w.store.GetNamespace(ctx, name)
		if err != nil {
			return store.Namespace{}, err
		}
		if err := change(&n); err != nil {
			return store.Namespace{}, err
		}
		n, err = w.store.UpdateNamespace(ctx, n)
		if !errors.Is(err, store.ErrConflict) {
			return n, err
		}
	}
	return store.Namespace{}, store.ErrConflict
}
