package auth

import (
	"net/http"
	"strings"
)

// sessionCookie returns the session cookie's value without parsing every
// cookie of the request (no allocation on the proxy's hot path).
func sessionCookie(r *http.Request, name string) string {
	var found string
	for _, line := range r.Header["Cookie"] {
		for rest := line; ; {
			v, after, ok := nextCookieValue(rest, name)
			if !ok {
				break
			}
			if found != "" { // two of ours: one was tossed by a neighbour
				return ""
			}
			found, rest = v, after
		}
	}
	return found
}

// nextCookieValue finds the first name=value in line and returns its value
// and the rest of the line after it.
func nextCookieValue(line, name string) (value, rest string, ok bool) {
	for len(line) > 0 {
		var part string
		part, line, _ = strings.Cut(line, ";")
		part = strings.TrimLeft(part, " \t")
		if len(part) > len(name) && part[len(name)] == '=' && part[:len(name)] == name {
			return strings.Trim(part[len(name)+1:], `"`), line, true
		}
	}
	return "", "", false
}

// cookieValue finds name=value in one Cookie header line.
func cookieValue(line, name string) (string, bool) {
	v, _, ok := nextCookieValue(line, name)
	return v, ok
}

// bearerToken returns the credential of an "Authorization: Bearer X" header.
func bearerToken(r *http.Request) string {
	var h string
	if v := r.Header["Authorization"]; len(v) > 0 { // Get, without canonicalizing a canonical key
		h = v[0]
	}
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
