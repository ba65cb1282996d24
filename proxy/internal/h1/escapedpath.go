package h1

import "net/url"

// EscapedPath is u.EscapedPath(), found with one table lookup a byte when
// u has no RawPath and its path nothing net/url would escape (the common
// case), rather than with net/url's escaping scan.
func EscapedPath(u *url.URL) string {
	if u.RawPath != "" {
		return u.EscapedPath()
	}
	for i := 0; i < len(u.Path); i++ {
		if !keptInPath[u.Path[i]] {
			return u.EscapedPath()
		}
	}
	return u.Path
}

// keptInPath holds the bytes EscapedPath leaves as they are, as net/url
// itself says.
var keptInPath = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		p := "/a" + string([]byte{byte(c)})
		t[c] = (&url.URL{Path: p}).EscapedPath() == p
	}
	return t
}()
