package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"

	"github.com/spawnhub/spawnhub/store"
)

// casAttempts is how many times a contributor change is tried when other
// requests keep changing the namespace meanwhile.
const casAttempts = 5

// SharingStore reads namespaces and changes their contributors.
type SharingStore interface {
	NamespaceReader
	ListNamespaces(ctx context.Context) ([]store.Namespace, error)
	UpdateNamespace(ctx context.Context, n store.Namespace) (store.Namespace, error)
}

// Membership is a namespace a user may see, with their role there by name
// (RoleNameAdmin for an administrator in someone else's).
type Membership struct {
	Namespace string
	Owner     string
	Role      string
}

// Sharing is who a namespace is shared with: owners add and remove
// contributors, and everyone lists the namespaces they are a member of.
type Sharing struct {
	store  SharingStore
	policy *Policy
	log    *slog.Logger
}

// NewSharing shares namespaces of st; p decides memberships.
func NewSharing(st SharingStore, p *Policy, log *slog.Logger) *Sharing {
	return &Sharing{store: st, policy: p, log: log.With("component", "auth")}
}

// Memberships lists the namespaces the caller owns or contributes to
// (every namespace for administrators), their own first.
func (s *Sharing) Memberships(ctx context.Context, id Identity) ([]Membership, error) {
	all, err := s.store.ListNamespaces(ctx)
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	out := []Membership{}
	for _, n := range all {
		role, err := s.policy.Role(ctx, id, n.Name)
		if err != nil {
			return nil, err
		}
		if role == RoleNone {
			continue
		}
		m := Membership{Namespace: n.Name, Owner: n.Owner, Role: role.Name()}
		if id.Admin && n.Owner != id.UserID {
			m.Role = RoleNameAdmin
		}
		out = append(out, m)
	}
	slices.SortStableFunc(out, func(a, b Membership) int {
		return boolRank(b.Namespace == id.Namespace) - boolRank(a.Namespace == id.Namespace)
	})
	return out, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SetContributor shares namespace ns with user (an email or a development
// login name) as role (edit or view), or changes their role; by is the
// owner asking. It returns the namespace as changed.
func (s *Sharing) SetContributor(ctx context.Context, by Identity, ns, user, role string) (store.Namespace, error) {
	user, err := validContributor(user, role, by)
	if err != nil {
		return store.Namespace{}, err
	}
	n, err := s.update(ctx, ns, func(n *store.Namespace) error {
		if strings.EqualFold(n.Owner, user) {
			return badField("user", "contributor.owner", nil)
		}
		n.Contributors = withoutContributor(n.Contributors, user)
		n.Contributors = append(n.Contributors, store.Contributor{User: user, Role: role})
		return nil
	})
	if err != nil {
		return store.Namespace{}, err
	}
	s.log.InfoContext(ctx, "contributor set", "ns", n.Name, "user", user, "role", role, "by", by.UserID)
	return n, nil
}

// RemoveContributor stops sharing ns with user; store.ErrNotFound if it
// was not shared with them.
func (s *Sharing) RemoveContributor(ctx context.Context, by Identity, ns, user string) (store.Namespace, error) {
	user = strings.ToLower(user)
	n, err := s.update(ctx, ns, func(n *store.Namespace) error {
		before := len(n.Contributors)
		n.Contributors = withoutContributor(n.Contributors, user)
		if len(n.Contributors) == before {
			return fmt.Errorf("contributor %s of %s: %w", user, ns, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return store.Namespace{}, err
	}
	s.log.InfoContext(ctx, "contributor removed", "ns", n.Name, "user", user, "by", by.UserID)
	return n, nil
}

func withoutContributor(cs []store.Contributor, user string) []store.Contributor {
	return slices.DeleteFunc(cs, func(c store.Contributor) bool { return strings.EqualFold(c.User, user) })
}

// validContributor checks a contributor and their role, and returns the
// user id.
func validContributor(user, role string, by Identity) (string, error) {
	user = strings.ToLower(strings.TrimSpace(user))
	if !validUserID(user) {
		return "", badField("user", "contributor.user", nil)
	}
	if ContributorRole(role) == RoleNone {
		return "", badField("role", "contributor.role", nil)
	}
	if user == strings.ToLower(by.UserID) {
		return "", badField("user", "contributor.owner", nil)
	}
	return user, nil
}

// validUserID accepts an email address or a development login name.
func validUserID(s string) bool {
	if strings.Contains(s, "@") {
		a, err := mail.ParseAddress(s)
		return err == nil && a.Address == s
	}
	return loginNamePattern.MatchString(s)
}

// update applies change with compare-and-set, retrying when another
// request changed the namespace meanwhile.
func (s *Sharing) update(ctx context.Context, name string, change func(*store.Namespace) error) (store.Namespace, error) {
	for range casAttempts {
		n, err := s.store.GetNamespace(ctx, name)
		if err != nil {
			return store.Namespace{}, err
		}
		if err := change(&n); err != nil {
			return store.Namespace{}, err
		}
		n, err = s.store.UpdateNamespace(ctx, n)
		if !errors.Is(err, store.ErrConflict) {
			return n, err
		}
	}
	return store.Namespace{}, fmt.Errorf("namespace %s changed %d times meanwhile: %w", name, casAttempts, store.ErrConflict)
}
