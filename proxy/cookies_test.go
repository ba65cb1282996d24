package proxy

import (
	"net/http"
	"strings"
	"testing"
)

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
		{"similar names kept", []string{"xspawnhub_session=1; spawnhubx=2"}, []string{"xspawnhub_session=1; spawnhubx=2"}},
		{"every cookie of ours", []string{"spawnhub_workspace=1; spawnhub_lang=fr; spawnhub_session_x=2; a=1"}, []string{"a=1"}},
		{"prefixed", []string{"__Host-spawnhub_session=1; __Secure-spawnhub_workspace=2; __host-SPAWNHUB_x=3; a=1"}, []string{"a=1"}},
		{"upper case", []string{"SPAWNHUB_SESSION=1; Spawnhub_Workspace=2"}, nil},
		{"quoted value", []string{`spawnhub_session="x"; a=1`}, []string{"a=1"}},
		{"padded name", []string{"a=1;  spawnhub_session =x"}, []string{"a=1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := stripCookies(tt.in)
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
		r := http.Request{Header: http.Header{"Cookie": stripCookies([]string{line})}}
		for _, c := range r.Cookies() {
			if isOurs(c.Name) {
				t.Fatalf("stripCookies(%q) left %v", line, c)
			}
		}
		if kept := len(r.Cookies()); kept > len((&http.Request{Header: http.Header{"Cookie": {line}}}).Cookies()) {
			t.Fatalf("stripCookies(%q) added cookies", line)
		}
	})
}

func TestStripSetCookies(t *testing.T) {
	h := http.Header{"Set-Cookie": {"spawnhub_session=evil; Path=/", "a=1; Path=/x", " spawnhub_session=e2",
		"__Host-spawnhub_workspace=e3; Path=/", "SPAWNHUB_SESSION=e4; Path=/api"}}
	stripSetCookies(h)
	if got := h["Set-Cookie"]; len(got) != 1 || got[0] != "a=1; Path=/x" {
		t.Errorf("Set-Cookie = %q, want only a=1", got)
	}
}
