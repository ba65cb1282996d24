package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

func TestEnsureNamespaceIsDeterministicOnCollision(t *testing.T) {
	ctx, st, now := context.Background(), memory.New(), time.Now()
	first, err := EnsureNamespace(ctx, st, "jane.doe@example.org", nil, now)
	if err != nil || first != "jane-doe" {
		t.Fatalf("first jane-doe = %q, %v", first, err)
	}
	second, err := EnsureNamespace(ctx, st, "jane.doe@other.example", nil, now)
	if err != nil || !strings.HasPrefix(second, "jane-doe--") || !ValidNamespace(second) {
		t.Fatalf("second jane = %q, %v, want a valid jane-doe--<suffix>", second, err)
	}
	again, _ := EnsureNamespace(ctx, st, "jane.doe@other.example", nil, now)
	if again != second {
		t.Errorf("same user again = %q, want %q", again, second)
	}
	n, _ := st.GetNamespace(ctx, second)
	if n.Owner != "jane.doe@other.example" {
		t.Errorf("owner of %s = %q", second, n.Owner)
	}
}

func TestEnsureNamespaceMapped(t *testing.T) {
	ctx, st, now := context.Background(), memory.New(), time.Now()
	mapping := map[string]string{"jane@example.org": "aaw-team", "john@example.org": "aaw-team"}
	got, err := EnsureNamespace(ctx, st, "jane@example.org", mapping, now)
	if err != nil || got != "aaw-team" {
		t.Fatalf("mapped = %q, %v, want aaw-team", got, err)
	}
	if _, err := EnsureNamespace(ctx, st, "john@example.org", mapping, now); !errors.Is(err, store.ErrConflict) {
		t.Errorf("mapping a second owner onto aaw-team: %v, want a conflict", err)
	}
}

// TestNamespaceSquattingCannotBlockFirstLogin: users who sign in first,
// with emails chosen to take every name a newcomer could get (the slug,
// the suffixed names of this and earlier versions), and a user whose slug
// is a namespace the operator mapped to someone else, cannot keep the
// newcomer or the mapped user from signing in.
func TestNamespaceSquattingCannotBlockFirstLogin(t *testing.T) {
	ctx, st, now := context.Background(), memory.New(), time.Now()
	victim := "jane.doe@example.org"
	mapping := map[string]string{"boss@example.org": "aaw-team"}
	base := NamespaceSlug(victim)
	targets := append(namespaceCandidates(base, victim, false), earlierNames(base, victim, false)...)
	for i, name := range targets {
		// The closest an attacker gets: an email whose local part is
		// the name itself, or the name with dots for dashes.
		for _, local := range []string{name, strings.ReplaceAll(name, "-", "."), strings.ReplaceAll(name, "--", "-.-")} {
			attacker := local + "@evil" + string(rune('a'+i)) + ".example"
			got, err := EnsureNamespace(ctx, st, attacker, mapping, now)
			if err != nil {
				t.Fatalf("attacker %s: %v", attacker, err)
			}
			if strings.Contains(name, "--") && got == name {
				t.Errorf("attacker %s took the suffixed name %s", attacker, name)
			}
		}
	}
	squatter, err := EnsureNamespace(ctx, st, "aaw.team@evil.example", mapping, now)
	if err != nil || squatter == "aaw-team" {
		t.Errorf("a user whose slug is a mapped namespace got %q (%v), want another name", squatter, err)
	}

	got, err := EnsureNamespace(ctx, st, victim, mapping, now)
	if err != nil {
		t.Fatalf("the newcomer cannot sign in: %v", err)
	}
	if n, _ := st.GetNamespace(ctx, got); n.Owner != victim || !strings.HasPrefix(got, "jane-doe--") {
		t.Errorf("newcomer got %q owned by %q, want jane-doe--<suffix> of their own", got, n.Owner)
	}
	if again, _ := EnsureNamespace(ctx, st, victim, mapping, now); again != got {
		t.Errorf("newcomer again = %q, want %q", again, got)
	}
	if boss, err := EnsureNamespace(ctx, st, "boss@example.org", mapping, now); err != nil || boss != "aaw-team" {
		t.Errorf("mapped user = %q, %v, want aaw-team", boss, err)
	}
}

// TestEnsureNamespaceKeepsEarlierNames: a user suffixed by an earlier
// version ("<slug>-<6 hex>") keeps that namespace, and one who took a slug
// before an operator mapped it to someone else keeps theirs.
func TestEnsureNamespaceKeepsEarlierNames(t *testing.T) {
	ctx, st, now := context.Background(), memory.New(), time.Now()
	user := "jane.doe@other.example"
	legacy := legacySuffix("jane-doe", userHash(user), 6)
	for name, owner := range map[string]string{"jane-doe": "jane.doe@example.org", legacy: user, "aaw-team": "aaw.team@example.org"} {
		if _, err := st.CreateNamespace(ctx, store.Namespace{Name: name, Owner: owner}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := EnsureNamespace(ctx, st, user, nil, now); err != nil || got != legacy {
		t.Errorf("user of an earlier suffix = %q, %v, want %s", got, err, legacy)
	}
	mapping := map[string]string{"boss@example.org": "aaw-team"}
	if got, err := EnsureNamespace(ctx, st, "aaw.team@example.org", mapping, now); err != nil || got != "aaw-team" {
		t.Errorf("owner of a slug mapped later = %q, %v, want aaw-team still", got, err)
	}
}

// TestConcurrentFirstLoginsGiveOneNamespace: two replicas signing the same
// newcomer in at once give them one namespace, not two.
func TestConcurrentFirstLoginsGiveOneNamespace(t *testing.T) {
	ctx, st, now := context.Background(), memory.New(), time.Now()
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Go(func() {
			ns, err := EnsureNamespace(ctx, st, "jane.doe@example.org", nil, now)
			if err != nil {
				t.Error(err)
			}
			got[i] = ns
		})
	}
	wg.Wait()
	all, _ := st.ListNamespaces(ctx)
	for _, ns := range got {
		if ns != "jane-doe" {
			t.Errorf("logins got %v, want jane-doe every time", got)
			break
		}
	}
	if len(all) != 1 {
		t.Errorf("namespaces = %v, want one", all)
	}
}

func TestValidNamespace(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"alice", true}, {"jane-doe--1a2b3c4d", true}, {"u-42", true},
		{"", false}, {"Alice", false}, {"1alice", false}, {"alice-", false}, {"al_ice", false},
		{"../etc", false}, {strings.Repeat("a", 41), false}, {"kube.system", false},
	} {
		if got := ValidNamespace(tt.in); got != tt.want {
			t.Errorf("ValidNamespace(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
