package auth

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

// racingStore loses the compare-and-set the first conflicts times, as
// when other requests change the namespace meanwhile.
type racingStore struct {
	*memory.Store
	conflicts int64
	updates   atomic.Int64
}

func (s *racingStore) UpdateNamespace(ctx context.Context, n store.Namespace) (store.Namespace, error) {
	if s.updates.Add(1) <= s.conflicts {
		return store.Namespace{}, store.ErrConflict
	}
	return s.Store.UpdateNamespace(ctx, n)
}

func newTestSharing(t *testing.T, conflicts int64) (*Sharing, *racingStore) {
	t.Helper()
	st := &racingStore{Store: memory.New(), conflicts: conflicts}
	t.Cleanup(func() { _ = st.Close() })
	for _, n := range []store.Namespace{{Name: "alice", Owner: "alice"}, {Name: "bob", Owner: "bob"}} {
		if _, err := st.CreateNamespace(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	return NewSharing(st, NewPolicy(nil, nil, st), discardLog()), st
}

var aliceOwner = Identity{UserID: "alice", Namespace: "alice"}

// TestSetContributorRetriesConflicts: a change that loses the
// compare-and-set is tried again on the namespace as it is now, up to five
// times; past that the conflict is the answer.
func TestSetContributorRetriesConflicts(t *testing.T) {
	sh, st := newTestSharing(t, 4)
	n, err := sh.SetContributor(context.Background(), aliceOwner, "alice", "Carol@Example.org", RoleNameView)
	if err != nil || len(n.Contributors) != 1 || n.Contributors[0] != (store.Contributor{User: "carol@example.org", Role: "view"}) {
		t.Fatalf("after 4 conflicts = %+v, %v; want carol@example.org as view", n, err)
	}
	if got := st.updates.Load(); got != 5 {
		t.Errorf("updates = %d, want 5", got)
	}
	sh, _ = newTestSharing(t, 5)
	if _, err := sh.SetContributor(context.Background(), aliceOwner, "alice", "carol", RoleNameEdit); !errors.Is(err, store.ErrConflict) {
		t.Errorf("after 5 conflicts = %v, want ErrConflict", err)
	}
}

// TestContributorRules: contributors are emails or login names, roles
// edit or view, never the owner; setting one again changes their role;
// removing one who is not there is not found.
func TestContributorRules(t *testing.T) {
	sh, st := newTestSharing(t, 0)
	ctx := context.Background()
	for _, tt := range []struct{ user, role, field, code string }{
		{"not an email", RoleNameView, "user", "contributor.user"},
		{"a@b@c", RoleNameView, "user", "contributor.user"},
		{"carol", RoleNameOwner, "role", "contributor.role"},
		{"carol", "", "role", "contributor.role"},
		{" ALICE ", RoleNameView, "user", "contributor.owner"},
	} {
		if _, err := sh.SetContributor(ctx, aliceOwner, "alice", tt.user, tt.role); !matchField(err, tt.field, tt.code) {
			t.Errorf("SetContributor(%q, %q) = %v, want field %q code %q", tt.user, tt.role, err, tt.field, tt.code)
		}
	}
	root := Identity{UserID: "root", Namespace: "root", Admin: true}
	if _, err := sh.SetContributor(ctx, root, "bob", "BOB", RoleNameEdit); !matchField(err, "user", "contributor.owner") {
		t.Errorf("sharing bob's namespace with bob = %v, want contributor.owner", err)
	}
	_, _ = sh.SetContributor(ctx, aliceOwner, "alice", "carol", RoleNameView)
	n, _ := sh.SetContributor(ctx, aliceOwner, "alice", "Carol", RoleNameEdit)
	if len(n.Contributors) != 1 || n.Contributors[0].Role != RoleNameEdit {
		t.Errorf("contributors after a role change = %v, want carol as edit only", n.Contributors)
	}
	if _, err := sh.RemoveContributor(ctx, aliceOwner, "alice", "CAROL"); err != nil {
		t.Errorf("remove carol = %v", err)
	}
	if _, err := sh.RemoveContributor(ctx, aliceOwner, "alice", "carol"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("remove carol again = %v, want ErrNotFound", err)
	}
	if n, _ := st.GetNamespace(ctx, "alice"); len(n.Contributors) != 0 {
		t.Errorf("contributors = %v, want none", n.Contributors)
	}
}

func matchField(err error, field, code string) bool {
	f, c := fieldOf(err)
	return f == field && c == code
}

// TestMemberships: a user sees the namespaces they own or contribute to,
// their own first, by role name; an administrator sees every namespace,
// others' as admin.
func TestMemberships(t *testing.T) {
	sh, _ := newTestSharing(t, 0)
	ctx := context.Background()
	if _, err := sh.SetContributor(ctx, Identity{UserID: "bob", Namespace: "bob"}, "bob", "alice", RoleNameEdit); err != nil {
		t.Fatal(err)
	}
	ms, err := sh.Memberships(ctx, Identity{UserID: "bob", Namespace: "bob"})
	if err != nil || len(ms) != 1 || ms[0] != (Membership{Namespace: "bob", Owner: "bob", Role: RoleNameOwner}) {
		t.Errorf("bob's memberships = %v, %v; want his own only", ms, err)
	}
	ms, _ = sh.Memberships(ctx, Identity{UserID: "bob", Namespace: "bob", Admin: true})
	if len(ms) != 2 || ms[0].Namespace != "bob" || ms[0].Role != RoleNameOwner || ms[1] != (Membership{Namespace: "alice", Owner: "alice", Role: RoleNameAdmin}) {
		t.Errorf("an administrator's memberships = %v, want their own first, then alice's as admin", ms)
	}
}

// TestRoleNames: every role has one name, and contributors' stored names
// give back their role.
func TestRoleNames(t *testing.T) {
	for _, r := range []Role{RoleView, RoleEdit} {
		if got := ContributorRole(r.Name()); got != r {
			t.Errorf("ContributorRole(%q) = %v, want %v", r.Name(), got, r)
		}
	}
	if RoleOwner.Name() != "owner" || RoleNone.Name() != "" || ContributorRole(RoleNameOwner) != RoleNone {
		t.Errorf("owner %q, none %q, contributor owner %v: want owner, empty, RoleNone", RoleOwner.Name(), RoleNone.Name(), ContributorRole(RoleNameOwner))
	}
}
