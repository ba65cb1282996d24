package proxy

import (
	"net/http"
	"strings"

	"github.com/spawnhub/spawnhub/auth"
)

// stripCookies returns the Cookie header lines without spawnhub's own
// cookies, dropping lines left empty. When nothing is removed it returns
// lines itself and does not allocate.
func stripCookies(lines []string) []string {
	if !anyCookieOfOurs(lines) {
		return lines
	}
	var out []string
	for _, line := range lines {
		if kept := stripCookieLine(line); kept != "" {
			out = append(out, kept)
		}
	}
	return out
}

func anyCookieOfOurs(lines []string) bool {
	for _, line := range lines {
		for pair := range strings.SplitSeq(line, ";") {
			if isOurs(cookieName(pair)) {
				return true
			}
		}
	}
	return false
}

func stripCookieLine(line string) string { return string(appendKeptCookies(nil, line)) }

// appendKeptCookies appends to dst the pairs of a Cookie line that are not
// spawnhub's, separated by "; ".
func appendKeptCookies(dst []byte, line string) []byte {
	start := len(dst)
	for pair := range strings.SplitSeq(line, ";") {
		pair = strings.TrimSpace(pair)
		if pair == "" || isOurs(cookieName(pair)) {
			continue
		}
		if len(dst) > start {
			dst = append(dst, "; "...)
		}
		dst = append(dst, pair...)
	}
	return dst
}

// cookieName is the name of a "name=value" pair of a Cookie header.
func cookieName(pair string) string {
	name, _, _ := strings.Cut(pair, "=")
	return strings.TrimSpace(name)
}

// isOurs reports whether a cookie name is one of spawnhub's, whatever its
// case and __Host- or __Secure- prefix: workspaces may neither read nor
// set them.
func isOurs(name string) bool {
	for _, p := range [...]string{"__host-", "__secure-"} {
		if len(name) >= len(p) && strings.EqualFold(name[:len(p)], p) {
			name = name[len(p):]
			break
		}
	}
	n := len(auth.CookiePrefix)
	return len(name) >= n && strings.EqualFold(name[:n], auth.CookiePrefix)
}

// stripSetCookies removes the Set-Cookie lines that would set one of
// spawnhub's own cookies: a workspace must not replace the user's session.
func stripSetCookies(h http.Header) {
	lines := h["Set-Cookie"]
	if len(lines) == 0 {
		return
	}
	kept := lines[:0:0]
	for _, l := range lines {
		name, _, _ := strings.Cut(l, ";")
		if !isOurs(cookieName(name)) {
			kept = append(kept, l)
		}
	}
	if len(kept) == len(lines) {
		return
	}
	if len(kept) == 0 {
		delete(h, "Set-Cookie")
		return
	}
	h["Set-Cookie"] = kept
}
