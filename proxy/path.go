package proxy

import (
	"errors"
	"net/url"
	"strings"

	"github.com/spawnhub/spawnhub/store"
)

// Prefix is the path under which every workspace is served
// (store.WorkspacePrefix).
const Prefix = store.WorkspacePrefix

// Errors of ParsePath.
var (
	ErrBadPath   = errors.New("proxy: not a canonical workspace path")
	errNoSlashes = errors.New("workspace path without trailing slash")
)

// target is a parsed workspace path. All fields are substrings of the
// escaped path, so parsing never allocates.
type target struct {
	ns, server string
	key        string // "ns/server", the same as store.Key.String()
	prefix     string // "/notebook/ns/server"
	rest       string // what follows prefix: "" or "/…"
}

// ParsePath splits an escaped request path (r.URL.EscapedPath()) of the form
// /notebook/<namespace>/<server>/<rest> into the server's key and rest
// (which starts with "/"). It returns ErrBadPath for anything that is not
// canonical — upper case, percent-encoded or empty names, dot segments — so
// that no spelling of a path can reach another server than the one it names.
func ParsePath(escaped string) (store.Key, string, error) {
	t, err := parsePath(escaped)
	if err != nil {
		return store.Key{}, "", ErrBadPath
	}
	return store.Key{Namespace: t.ns, Name: t.server}, t.rest, nil
}

// parsePath is ParsePath for the hot path. It returns errNoSlashes for
// /notebook/<ns>/<server> without the trailing slash (which is redirected).
func parsePath(p string) (target, error) {
	if !strings.HasPrefix(p, Prefix) {
		return target{}, ErrBadPath
	}
	after := p[len(Prefix):]
	ns, after, ok := strings.Cut(after, "/")
	if !ok || !validName(ns) {
		return target{}, ErrBadPath
	}
	server, _, more := strings.Cut(after, "/")
	if !validName(server) {
		return target{}, ErrBadPath
	}
	end := len(Prefix) + len(ns) + 1 + len(server)
	t := target{
		ns:     ns,
		server: server,
		key:    p[len(Prefix):end],
		prefix: p[:end],
		rest:   p[end:],
	}
	if !more {
		return t, errNoSlashes
	}
	if !cleanRest(t.rest) {
		return target{}, ErrBadPath
	}
	return t, nil
}

// cleanRest reports whether the rest of a path has no dot segment, neither
// as sent nor once decoded (where %2F and %5C become separators).
func cleanRest(rest string) bool {
	if strings.IndexByte(rest, '%') < 0 {
		return !hasDotSegment(rest)
	}
	decoded, err := url.PathUnescape(rest)
	return err == nil && !hasDotSegment(strings.ReplaceAll(decoded, "\\", "/"))
}

// validName reports whether s is a DNS label: 1 to 63 lower-case letters,
// digits and dashes, starting and ending with a letter or digit.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// hasDotSegment reports whether a path has a "." or ".." segment.
func hasDotSegment(p string) bool {
	for p != "" {
		seg, rest, _ := strings.Cut(p, "/")
		if seg == "." || seg == ".." {
			return true
		}
		p = rest
	}
	return false
}
