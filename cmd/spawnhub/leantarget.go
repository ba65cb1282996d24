package main

import (
	"net/url"

	"github.com/spawnhub/spawnhub/proxy/headscan"
)

// parseTarget fills u from an origin-form request target as
// url.ParseRequestURI would, without allocating, when its path has only
// bytes net/url leaves as they are (no escapes, nothing it would encode):
// then Path is the path as sent and RawPath empty. It reports false for
// any other target, which the caller hands to url.ParseRequestURI.
func parseTarget(target string, u *url.URL) bool {
	if target == "" || target[0] != '/' {
		return false
	}
	path, query := target, ""
	force := false
	for i := 0; i < len(target); i++ {
		c := target[i]
		if c == '?' {
			path, query = target[:i], target[i+1:]
			force = query == ""
			if headscan.HasCTL(query) {
				return false // net/url refuses it
			}
			break
		}
		if !pathAsIs[c] {
			return false
		}
	}
	*u = url.URL{Path: path, RawQuery: query, ForceQuery: force}
	return true
}

// pathAsIs holds the bytes a request path keeps through net/url as they
// are, found by asking net/url itself: unescaped, and not escaped again.
var pathAsIs = func() (t [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		if c == '%' || c == '?' || c == '#' {
			continue
		}
		p := "/a" + string(rune(c))
		u, err := url.ParseRequestURI(p)
		t[c] = err == nil && u.Path == p && u.RawPath == "" && u.EscapedPath() == p
	}
	return t
}()
