package proxy

import (
	"net/http"
	"strings"
	"testing"
)

var ours = []string{"spawnhub_session"}

func TestStripCookies(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []string
		want []string
	}{
		{"none of ours", []string{"a=1; b=2"}, []string{"a=1; b=2"}},
		{"only ours", []string{"spawnhub_session=x"}, nil},
		{"middle", []string{"a=1; spawnhub_session=x; b=2"}, []string{"a=1; b=2"}},
		{"no spaces", []string{"a=1;spawnhub_session=x;b=2"}, []string{"a=1; b=2"}},
		{"several lines", []string{"spawnhub_session=x", "a=1", "spawnhub_session=y; c=3"}, []string{"a=1", "c=3"}},
		{"similar names kept", []string{"xspawnhub_session=1; spawnhub_session_x=2"}, []string{"xspawnhub_session=1; spawnhub_session_x=2"}},
		{"quoted value", []string{`spawnhub_session="x"; a=1`}, []string{"a=1"}},
		{"padded name", []string{"a=1;  spawnhub_session =x"}, []string{"a=1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := stripCookies(tt.in, ours)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("stripCookies(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzStripCookies checks that no cookie of ours survives, as Go's own
// cookie parser (the one the servers behind us would use) sees it.
func FuzzStripCookies(f *testing.F) {
	for _, s := range []string{"a=1; spawnhub_session=x", "spawnhub_session=x", " spawnhub_session = x ;;", "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r := http.Request{Header: http.Header{"Cookie": stripCookies([]string{line}, ours)}}
		if c, err := r.Cookie("spawnhub_session"); err == nil {
			t.Fatalf("stripCookies(%q) left %v", line, c)
		}
		if kept := len(r.Cookies()); kept > len((&http.Request{Header: http.Header{"Cookie": {line}}}).Cookies()) {
			t.Fatalf("stripCookies(%q) added cookies", line)
		}
	})
}

func TestStripSetCookies(t *testing.T) {
	h := http.Header{"Set-Cookie": {"spawnhub_session=evil; Path=/", "a=1; Path=/x", " spawnhub_session=e2"}}
	stripSetCookies(h, ours)
	if got := h["Set-Cookie"]; len(got) != 1 || got[0] != "a=1; Path=/x" {
		t.Errorf("Set-Cookie = %q, want only a=1", got)
	}
}
