package auth

import (
	"net/http"
	"strings"
)

// sessionCookie returns the session cookie's value without parsing every
// cookie of the request (no allocation on the proxy's hot path).
func sessionCookie(r *http.Request) string {
	for _, line := range r.Header["Cookie"] {
		if v, ok := cookieValue(line, CookieName); ok {
			return v
		}
	}
	return ""
}

// cookieValue finds name=value in one Cookie header line.
func cookieValue(line, name string) (string, bool) {
	for len(line) > 0 {
		var part string
		part, line, _ = strings.Cut(line, ";")
		part = strings.TrimLeft(part, " \t")
		if len(part) > len(name) && part[len(name)] == '=' && part[:len(name)] == name {
			return strings.Trim(part[len(name)+1:], `"`), true
		}
	}
	return "", false
}

// bearerToken returns the credential of an "Authorization: Bearer X" header.
func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
