package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
)

func TestEnsureNamespaceIsDeterministicOnCollision(t *testing.T) {
	ctx, st, now := context.Background(), memory.New(), time.Now()
	first, err := EnsureNamespace(ctx, st, "jane.doe@example.org", "", now)
	if err != nil || first != "jane-doe" {
		t.Fatalf("first jane-doe = %q, %v", first, err)
	}
	second, err := EnsureNamespace(ctx, st, "jane.doe@other.example", "", now)
	if err != nil || second == first || len(second) <= len(first) {
		t.Fatalf("second jane = %q, %v, want a suffixed namespace", second, err)
	}
	again, _ := EnsureNamespace(ctx, st, "jane.doe@other.example", "", now)
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
	got, err := EnsureNamespace(ctx, st, "jane@example.org", "aaw-team", now)
	if err != nil || got != "aaw-team" {
		t.Fatalf("mapped = %q, %v, want aaw-team", got, err)
	}
	if _, err := EnsureNamespace(ctx, st, "john@example.org", "aaw-team", now); !errors.Is(err, store.ErrConflict) {
		t.Errorf("mapping a second owner onto aaw-team: %v, want a conflict", err)
	}
}
