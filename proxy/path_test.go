package proxy

import (
	"errors"
	"net/url"
	"path"
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	for _, tt := range []struct {
		in                string
		wantKey, wantRest string
		wantErr           error
	}{
		{"/notebook/alice/lab/", "alice/lab", "/", nil},
		{"/notebook/alice/lab/tree/a%20b.ipynb", "alice/lab", "/tree/a%20b.ipynb", nil},
		{"/notebook/jane-doe/my-server-1/api/kernels", "jane-doe/my-server-1", "/api/kernels", nil},
		{"/notebook/a/b/files/x%2Fy", "a/b", "/files/x%2Fy", nil},
		{"/notebook/a/b/.hidden/..x/x..", "a/b", "/.hidden/..x/x..", nil},
		{"/notebook/alice/lab", "alice/lab", "", errNoSlashes},
		{"/notebook/alice/lab/../../bob/lab/", "", "", ErrBadPath},
		{"/notebook/alice/lab/./x", "", "", ErrBadPath},
		{"/notebook/alice/lab/x/..", "", "", ErrBadPath},
		{"/notebook/alice/lab/%2e%2e/%2e%2e/bob/lab/", "", "", ErrBadPath},
		{"/notebook/alice/lab/%2E./x", "", "", ErrBadPath},
		{"/notebook/alice/lab/..%2f..%2fbob%2flab/", "", "", ErrBadPath},
		{"/notebook/alice/lab/x%5c..%5c..%5cbob", "", "", ErrBadPath},
		{"/notebook/alice/lab/%zz", "", "", ErrBadPath},
		{"/notebook/alice%2flab/", "", "", ErrBadPath},
		{"/notebook/%61lice/lab/", "", "", ErrBadPath},
		{"/notebook/alice/%2e%2e/bob/lab/", "", "", ErrBadPath},
		{"/notebook/../alice/lab/", "", "", ErrBadPath},
		{"/notebook//alice/lab/", "", "", ErrBadPath},
		{"/notebook/alice//lab/", "", "", ErrBadPath},
		{"//notebook/alice/lab/", "", "", ErrBadPath},
		{"/Notebook/alice/lab/", "", "", ErrBadPath},
		{"/notebook/Alice/lab/", "", "", ErrBadPath},
		{"/notebook/alice/Lab/", "", "", ErrBadPath},
		{"/notebook/alice_x/lab/", "", "", ErrBadPath},
		{"/notebook/-alice/lab/", "", "", ErrBadPath},
		{"/notebook/alice-/lab/", "", "", ErrBadPath},
		{"/notebook/" + strings.Repeat("a", 64) + "/lab/", "", "", ErrBadPath},
		{"/notebook/" + strings.Repeat("a", 63) + "/lab/", strings.Repeat("a", 63) + "/lab", "/", nil},
		{"/notebook/alice/", "", "", ErrBadPath},
		{"/notebook/alice", "", "", ErrBadPath},
		{"/notebook/", "", "", ErrBadPath},
		{"/other/alice/lab/", "", "", ErrBadPath},
		{"/notebook/al ice/lab/", "", "", ErrBadPath},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parsePath(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("parsePath(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if err != nil && tt.wantErr == ErrBadPath {
				return
			}
			if got.key != tt.wantKey || got.rest != tt.wantRest {
				t.Errorf("parsePath(%q) = key %q rest %q, want %q %q", tt.in, got.key, got.rest, tt.wantKey, tt.wantRest)
			}
		})
	}
}

// FuzzParsePath checks that an accepted path, however it is decoded and
// cleaned later, still names the server it was parsed as.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"/notebook/alice/lab/", "/notebook/alice/lab/../bob/", "/notebook/a/b/%2e%2e/c",
		"/notebook/a/b/x%2F..%2Fy", "/notebook/a/b", "/notebook/a/b/x%5C..", "/notebook//a/b/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		tg, err := parsePath(p)
		if err != nil {
			return
		}
		if !validName(tg.ns) || !validName(tg.server) || tg.key != tg.ns+"/"+tg.server {
			t.Fatalf("parsePath(%q) = %+v: bad names", p, tg)
		}
		if p != Prefix+tg.key+tg.rest || !strings.HasPrefix(tg.rest, "/") {
			t.Fatalf("parsePath(%q) = %+v: does not rebuild the path", p, tg)
		}
		decoded, err := url.PathUnescape(p)
		if err != nil {
			t.Fatalf("parsePath(%q) accepted an undecodable path", p)
		}
		for _, d := range []string{decoded, strings.ReplaceAll(decoded, `\`, "/")} {
			if c := path.Clean(d) + "/"; !strings.HasPrefix(c, tg.prefix+"/") {
				t.Fatalf("parsePath(%q) = %s, but it cleans to %q", p, tg.key, c)
			}
		}
	})
}
