package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// maxNamespaceLen keeps namespaces valid Kubernetes names with room for
// suffixes.
const maxNamespaceLen = 40

// NamespaceSlug derives a namespace name from a user id: the local part of
// an email, lower-cased, with every other character turned into a dash
// ("jane.doe@example.org" → "jane-doe").
func NamespaceSlug(userID string) string {
	local, _, _ := strings.Cut(strings.ToLower(userID), "@")
	var b strings.Builder
	dash := false
	for _, r := range local {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "u-" + s
	}
	if len(s) > maxNamespaceLen {
		s = strings.TrimRight(s[:maxNamespaceLen], "-")
	}
	return strings.TrimRight(s, "-")
}

// NamespaceStore creates and reads namespaces.
type NamespaceStore interface {
	NamespaceReader
	CreateNamespace(ctx context.Context, n store.Namespace) (store.Namespace, error)
}

// EnsureNamespace returns the namespace owned by userID, creating it on
// first login. mapped, when set, is the namespace an operator assigned (an
// existing Kubeflow profile, say). Otherwise the name is the user's slug,
// and when that belongs to someone else, a suffix derived from the user id
// makes it unique, so the same user always gets the same name.
func EnsureNamespace(ctx context.Context, st NamespaceStore, userID, mapped string, now time.Time) (string, error) {
	if mapped != "" {
		return ensureMapped(ctx, st, userID, mapped, now)
	}
	base := NamespaceSlug(userID)
	for _, name := range []string{base, withSuffix(base, userID, 6), withSuffix(base, userID, 12)} {
		n, err := st.GetNamespace(ctx, name)
		if err == nil && n.Owner == userID {
			return name, nil
		}
		if err == nil {
			continue // someone else's
		}
		if !errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("namespace %s: %w", name, err)
		}
		_, err = st.CreateNamespace(ctx, store.Namespace{Name: name, Owner: userID, CreatedAt: now})
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return "", fmt.Errorf("create namespace %s: %w", name, err)
		}
	}
	return "", fmt.Errorf("namespace for %s: every candidate is taken: %w", userID, store.ErrConflict)
}

func withSuffix(base, userID string, n int) string {
	sum := sha256.Sum256([]byte(userID))
	suffix := hex.EncodeToString(sum[:])[:n]
	if len(base)+1+n > maxNamespaceLen {
		base = strings.TrimRight(base[:maxNamespaceLen-1-n], "-")
	}
	return base + "-" + suffix
}

// ensureMapped gives userID the namespace an operator assigned.
func ensureMapped(ctx context.Context, st NamespaceStore, userID, name string, now time.Time) (string, error) {
	n, err := st.GetNamespace(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		_, err = st.CreateNamespace(ctx, store.Namespace{Name: name, Owner: userID, CreatedAt: now})
		if err == nil || !errors.Is(err, store.ErrConflict) {
			return name, err
		}
		n, err = st.GetNamespace(ctx, name)
	}
	if err != nil {
		return "", fmt.Errorf("namespace %s: %w", name, err)
	}
	if n.Owner != userID {
		return "", fmt.Errorf("namespace %s is mapped to %s but owned by %s: %w", name, userID, n.Owner, store.ErrConflict)
	}
	return name, nil
}
