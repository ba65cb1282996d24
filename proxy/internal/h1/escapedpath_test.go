package h1

import (
	"net/url"
	"testing"
)

// FuzzEscapedPath holds EscapedPath to url.URL.EscapedPath.
func FuzzEscapedPath(f *testing.F) {
	for _, s := range []string{"/", "/notebook/alice/lab/api/status", "/a b", "/a%2Fb", "/é", "/a;b=c", "*", ""} {
		f.Add(s, "")
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, path, raw string) {
		u := &url.URL{Path: path, RawPath: raw}
		if got, want := EscapedPath(u), u.EscapedPath(); got != want {
			t.Fatalf("EscapedPath(%q, raw %q) = %q, want %q", path, raw, got, want)
		}
	})
}
