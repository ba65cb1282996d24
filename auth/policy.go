package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// Role is what a caller may do in a namespace, from least to most.
type Role int

// Roles, ordered: a higher role may do everything a lower one may.
const (
	RoleNone  Role = iota // may not know the namespace exists
	RoleView              // sees servers and their status
	RoleEdit              // uses and manages servers
	RoleOwner             // also shares the namespace
)

// Role names, as namespaces store a contributor's role and the API shows
// the caller's. An administrator's membership of someone else's namespace
// shows as RoleNameAdmin.
const (
	RoleNameOwner = "owner"
	RoleNameEdit  = "edit"
	RoleNameView  = "view"
	RoleNameAdmin = "admin"
)

// Name is the role's name; "" for RoleNone.
func (r Role) Name() string {
	switch r {
	case RoleOwner:
		return RoleNameOwner
	case RoleEdit:
		return RoleNameEdit
	case RoleView:
		return RoleNameView
	}
	return ""
}

// ContributorRole is the role a contributor's stored role name gives:
// edit or view, RoleNone for any other name.
func ContributorRole(name string) Role {
	switch name {
	case RoleNameEdit:
		return RoleEdit
	case RoleNameView:
		return RoleView
	}
	return RoleNone
}

// NamespaceReader finds a namespace's owner and contributors.
type NamespaceReader interface {
	GetNamespace(ctx context.Context, name string) (store.Namespace, error)
}

// Policy is the one place that decides who may do what. The API and the
// proxy both ask it.
type Policy struct {
	adminEmails map[string]bool
	adminGroups map[string]bool
	cache       *namespaceCache
}

// NewPolicy makes administrators of the given emails and group members.
// Namespaces are read from ns through a cache that Run keeps fresh.
func NewPolicy(adminEmails, adminGroups []string, ns NamespaceReader) *Policy {
	return &Policy{
		adminEmails: lowerSet(adminEmails), adminGroups: lowerSet(adminGroups),
		cache: newNamespaceCache(ns, time.Now),
	}
}

func lowerSet(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[strings.ToLower(strings.TrimSpace(x))] = true
	}
	return m
}

// IsAdmin reports whether the user is an administrator by configuration.
func (p *Policy) IsAdmin(id Identity) bool {
	if p.adminEmails[strings.ToLower(id.Email)] || p.adminEmails[strings.ToLower(id.UserID)] {
		return true
	}
	for _, g := range id.Groups {
		if p.adminGroups[strings.ToLower(g)] {
			return true
		}
	}
	return false
}

// Role returns the caller's role in namespace ns. Owners are recognised
// without asking the store, so the proxy's common case costs nothing.
func (p *Policy) Role(ctx context.Context, id Identity, ns string) (Role, error) {
	if !id.HasScope(ScopeServers) && !id.Admin {
		return RoleNone, nil
	}
	if id.Admin || (id.Namespace != "" && id.Namespace == ns) {
		return RoleOwner, nil
	}
	n, err := p.cache.GetNamespace(ctx, ns)
	if isNotFound(err) {
		return RoleNone, nil
	}
	if err != nil {
		return RoleNone, fmt.Errorf("namespace %s: %w", ns, err)
	}
	return roleIn(n, id), nil
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func roleIn(n store.Namespace, id Identity) Role {
	if n.Owner == id.UserID {
		return RoleOwner
	}
	for _, c := range n.Contributors {
		if strings.EqualFold(c.User, id.UserID) || (id.Email != "" && strings.EqualFold(c.User, id.Email)) {
			if r := ContributorRole(c.Role); r != RoleNone {
				return r
			}
		}
	}
	return RoleNone
}

// CanConnect reports whether the caller may use the namespace's servers
// through the proxy. Errors count as no.
func (p *Policy) CanConnect(ctx context.Context, id Identity, ns string) bool {
	r, err := p.Role(ctx, id, ns)
	return err == nil && r >= RoleEdit
}
