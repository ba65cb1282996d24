package proxy

import (
	"net/http"
	"strings"
)

// stripCookies returns the Cookie header lines without the cookies named in
// names, dropping lines left empty. When nothing is removed it returns lines
// itself and does not allocate.
func stripCookies(lines, names []string) []string {
	if !anyCookieNamed(lines, names) {
		return lines
	}
	var out []string
	for _, line := range lines {
		if kept := stripCookieLine(line, names); kept != "" {
			out = append(out, kept)
		}
	}
	return out
}

func anyCookieNamed(lines, names []string) bool {
	for _, line := range lines {
		for pair := range strings.SplitSeq(line, ";") {
			if isNamed(cookieName(pair), names) {
				return true
			}
		}
	}
	return false
}

func stripCookieLine(line string, names []string) string {
	var b strings.Builder
	for pair := range strings.SplitSeq(line, ";") {
		pair = strings.TrimSpace(pair)
		if pair == "" || isNamed(cookieName(pair), names) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(pair)
	}
	return b.String()
}

// cookieName is the name of a "name=value" pair of a Cookie header.
func cookieName(pair string) string {
	name, _, _ := strings.Cut(pair, "=")
	return strings.TrimSpace(name)
}

func isNamed(name string, names []string) bool {
	for _, n := range names {
		if name == n {
			return true
		}
	}
	return false
}

// stripSetCookies removes the Set-Cookie lines that would set one of
// spawnhub's own cookies: a workspace must not replace the user's session.
func stripSetCookies(h http.Header, names []string) {
	lines := h["Set-Cookie"]
	if len(lines) == 0 {
		return
	}
	kept := lines[:0:0]
	for _, l := range lines {
		name, _, _ := strings.Cut(l, ";")
		if !isNamed(cookieName(name), names) {
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
