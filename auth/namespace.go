package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// maxNamespaceLen keeps namespaces valid Kubernetes names with room for
// suffixes.
const maxNamespaceLen = 40

var namespaceRE = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// ValidNamespace reports whether s can name a namespace: lowercase
// letters, digits and dashes, starting with a letter and not ending with a
// dash, at most 40 characters.
func ValidNamespace(s string) bool {
	return len(s) <= maxNamespaceLen && namespaceRE.MatchString(s)
}

// NamespaceSlug derives a namespace name from a user id: the local part of
// an email, lower-cased, with every run of other characters turned into
// one dash ("jane.doe@example.org" → "jane-doe"). A slug never holds two
// dashes in a row: EnsureNamespace keeps such names for its suffixes.
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
// first login. mapping assigns namespaces by user id (an operator's
// choice, e.g. existing Kubeflow profiles): a mapped user gets that one,
// and nobody else may take it. Everyone else gets the slug of their user
// id, or when the slug is taken or mapped to someone else, a name with a
// suffix derived from the user id, "<slug>--<hex>", so the same user
// always gets the same name. Slugs never hold "--", so no one can take
// another user's suffixed name by choosing their own email (or login
// name): one user's first login cannot be blocked by others.
func EnsureNamespace(ctx context.Context, st NamespaceStore, userID string, mapping map[string]string, now time.Time) (string, error) {
	if mapped := mapping[userID]; mapped != "" {
		return ensureMapped(ctx, st, userID, mapped, now)
	}
	base := NamespaceSlug(userID)
	reserved := isMapped(mapping, base)
	for _, name := range earlierNames(base, userID, reserved) {
		if n, err := st.GetNamespace(ctx, name); err == nil && n.Owner == userID {
			return name, nil
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("namespace %s: %w", name, err)
		}
	}
	for _, name := range namespaceCandidates(base, userID, reserved) {
		ok, err := claimNamespace(ctx, st, name, userID, now)
		if err != nil {
			return "", err
		}
		if ok {
			return name, nil
		}
	}
	return "", fmt.Errorf("namespace for %s: every candidate is taken: %w", userID, store.ErrConflict)
}

// Suffix lengths, in hex digits: the second candidate, and the last one,
// long enough that nobody can find a user id whose hash shares it.
const (
	shortSuffix = 8
	longSuffix  = 16
)

// namespaceCandidates are the names userID may be given, in order of
// preference.
func namespaceCandidates(base, userID string, reserved bool) []string {
	out := []string{withSuffix(base, userID, shortSuffix), withSuffix(base, userID, longSuffix)}
	if !reserved {
		out = append([]string{base}, out...)
	}
	return out
}

// earlierNames are names userID may own without being a candidate now: the
// slug an operator mapped to someone else after this user took it, and
// the suffixed names of earlier versions ("<slug>-<6 or 12 hex>").
func earlierNames(base, userID string, reserved bool) []string {
	sum := userHash(userID)
	out := []string{legacySuffix(base, sum, 6), legacySuffix(base, sum, 12)}
	if reserved {
		out = append([]string{base}, out...)
	}
	return out
}

// claimNamespace gives name to userID if it is free; true if userID owns
// it now (also when another login of the same user created it meanwhile).
func claimNamespace(ctx context.Context, st NamespaceStore, name, userID string, now time.Time) (bool, error) {
	n, err := st.GetNamespace(ctx, name)
	if err == nil {
		return n.Owner == userID, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("namespace %s: %w", name, err)
	}
	_, err = st.CreateNamespace(ctx, store.Namespace{Name: name, Owner: userID, CreatedAt: now})
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, store.ErrConflict) {
		return false, fmt.Errorf("create namespace %s: %w", name, err)
	}
	if n, err = st.GetNamespace(ctx, name); err != nil {
		return false, fmt.Errorf("namespace %s: %w", name, err)
	}
	return n.Owner == userID, nil
}

func isMapped(mapping map[string]string, name string) bool {
	for _, ns := range mapping {
		if ns == name {
			return true
		}
	}
	return false
}

func userHash(userID string) string {
	sum := sha256.Sum256([]byte(userID))
	return hex.EncodeToString(sum[:])
}

// withSuffix is "<base>--<n hex digits of the user id's hash>", with base
// cut so that the name fits.
func withSuffix(base, userID string, n int) string {
	return cut(base, maxNamespaceLen-2-n) + "--" + userHash(userID)[:n]
}

// legacySuffix is how earlier versions suffixed names: one dash.
func legacySuffix(base, sum string, n int) string {
	return cut(base, maxNamespaceLen-1-n) + "-" + sum[:n]
}

func cut(base string, max int) string {
	if len(base) > max {
		base = strings.TrimRight(base[:max], "-")
	}
	return base
}

// ensureMapped gives userID the namespace an operator assigned.
func ensureMapped(ctx context.Context, st NamespaceStore, userID, name string, now time.Time) (string, error) {
	ok, err := claimNamespace(ctx, st, name, userID, now)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("namespace %s is mapped to %s but owned by someone else: %w", name, userID, store.ErrConflict)
	}
	return name, nil
}
