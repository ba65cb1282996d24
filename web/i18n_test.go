package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/spawnhub/spawnhub/spawner/form"
)

// TestEveryFieldErrorIsTranslated keeps the French catalog complete: every
// form error the spawner can return has a French text distinct from the
// English one.
func TestEveryFieldErrorIsTranslated(t *testing.T) {
	cat, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	en, fr := cat.For("en"), cat.For("fr")
	params := map[string]any{"max": 40, "min": 1, "name": "x", "image": "x", "value": "x", "path": "/x", "id": "x", "languages": "en, fr",
		"namespace": "alice", "limit": 20, "used": "1Ti", "total": "3Ti"}
	for code := range form.FieldErrorCodes {
		id := "field." + code
		e, f := en.T(id, params), fr.T(id, params)
		if e == id || f == id {
			t.Errorf("%s: English %q, French %q: missing", code, e, f)
		} else if e == f {
			t.Errorf("%s: French text is the English one: %q", code, f)
		}
	}
}

// TestWebFieldErrorsAreTranslated: the web layer's own field errors (not
// the spawner's) have both texts too.
func TestWebFieldErrorsAreTranslated(t *testing.T) {
	cat, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	en, fr := cat.For("en"), cat.For("fr")
	params := map[string]any{"limit": 50, "namespace": "Bad_NS"}
	for _, code := range []string{"quota.tokensPerUser", "namespace.invalid"} {
		id := "field." + code
		e, f := en.T(id, params), fr.T(id, params)
		if e == id || f == id || e == f || strings.Contains(e+f, "<no value>") {
			t.Errorf("%s: English %q, French %q: want two texts with the parameters", code, e, f)
		}
	}
}

func TestRequestLanguage(t *testing.T) {
	for _, tt := range []struct{ query, cookie, accept, want string }{
		{"", "", "", "en"},
		{"", "", "fr-CA,fr;q=0.9,en;q=0.8", "fr"},
		{"", "", "de-DE,de;q=0.9", "en"},
		{"", "fr", "en-US", "fr"},
		{"en", "fr", "fr", "en"},
		{"xx", "", "fr", "fr"},
	} {
		r, _ := http.NewRequest("GET", "/?lang="+tt.query, nil)
		if tt.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: tt.cookie})
		}
		r.Header.Set("Accept-Language", tt.accept)
		if got := requestLanguage(r); got != tt.want {
			t.Errorf("requestLanguage(query %q, cookie %q, accept %q) = %q, want %q", tt.query, tt.cookie, tt.accept, got, tt.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/notebook/alice/lab/tree?x=1", "/notebook/alice/lab/tree?x=1"},
		{"", "/"},
		{"https://evil.example", "/"},
		{"//evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"evil", "/"},
		{"/ok\r\nSet-Cookie: x", "/"},
		{"javascript:alert(1)", "/"},
	} {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
