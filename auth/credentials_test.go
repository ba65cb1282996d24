package auth

import (
	"net/http"
	"testing"
)

func TestCookieValue(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{"spawnhub_session=abc", "abc"},
		{"a=1; spawnhub_session=abc; b=2", "abc"},
		{`spawnhub_session="abc"`, "abc"},
		{"xspawnhub_session=abc", ""},
		{"spawnhub_sessionx=abc", ""},
		{"spawnhub_session", ""},
		{"", ""},
	} {
		got, _ := cookieValue(tt.line, hubCookie)
		if got != tt.want {
			t.Errorf("cookieValue(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func FuzzCookieValue(f *testing.F) {
	f.Add("a=1; spawnhub_session=abc; b=2")
	f.Add(`spawnhub_session="x"`)
	f.Fuzz(func(t *testing.T, line string) {
		got, ok := cookieValue(line, hubCookie)
		if !ok {
			return
		}
		r := &http.Request{Header: http.Header{"Cookie": {line}}}
		if c, err := r.Cookie(hubCookie); err == nil && c.Value != got && `"`+c.Value+`"` != got {
			// net/http drops invalid cookies; when it finds one, ours must agree
			t.Errorf("cookieValue(%q) = %q, net/http says %q", line, got, c.Value)
		}
	})
}

func TestBearerToken(t *testing.T) {
	for _, tt := range []struct{ header, want string }{
		{"Bearer abc", "abc"},
		{"bearer abc", "abc"},
		{"Basic abc", ""},
		{"Bearer ", ""},
		{"", ""},
	} {
		r := &http.Request{Header: http.Header{}}
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		if got := bearerToken(r); got != tt.want {
			t.Errorf("bearerToken(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestNamespaceSlug(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"alice", "alice"},
		{"jane.doe@example.org", "jane-doe"},
		{"Jane.Doe@Example.org", "jane-doe"},
		{"jean--luc__picard@x", "jean-luc-picard"},
		{"42@x", "u-42"},
		{"...@x", "u"},
		{"a-very-long-name-that-goes-on-and-on-and-on-forever@x", "a-very-long-name-that-goes-on-and-on-and"},
	} {
		if got := NamespaceSlug(tt.in); got != tt.want {
			t.Errorf("NamespaceSlug(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
