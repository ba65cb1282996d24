package proxy

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/spawnhub/spawnhub/store"
)

func TestRedirectsKeptUnderThePrefix(t *testing.T) {
	target, _ := url.Parse("http://10.1.2.3:8787")
	pr := newPresentation("alice/rs", store.Route{RewriteRedirects: true}, target)
	for loc, want := range map[string]string{
		"/auth-sign-in":                             "/notebook/alice/rs/auth-sign-in",
		"/auth-sign-in?appUri=%2F#top":              "/notebook/alice/rs/auth-sign-in?appUri=%2F#top",
		"/a%2Fb":                                    "/notebook/alice/rs/a%2Fb",
		"http://10.1.2.3:8787/":                     "/notebook/alice/rs/",
		"http://10.1.2.3:8787/notebook/alice/rs":    "/notebook/alice/rs",
		"https://alice.nb.test/auth-sign-in":        "/notebook/alice/rs/auth-sign-in",
		"/notebook/alice/rs/":                       "/notebook/alice/rs/",
		"https://alice.nb.test/notebook/alice/rs/x": "https://alice.nb.test/notebook/alice/rs/x",
		"auth-sign-in":                              "auth-sign-in",
		"../x":                                      "../x",
		"//evil.test/x":                             "//evil.test/x",
		"https://evil.test/auth-sign-in":            "https://evil.test/auth-sign-in",
		"/notebook/alice/rsx":                       "/notebook/alice/rs/notebook/alice/rsx",
		"javascript:alert(1)":                       "javascript:alert(1)",
	} {
		h := http.Header{"Location": {loc}}
		pr.keepRedirectUnder(h, "alice.nb.test")
		if got := h.Get("Location"); got != want {
			t.Errorf("Location %q became %q, want %q", loc, got, want)
		}
	}
}

func TestPlainRoutesNeedNoPresentation(t *testing.T) {
	target, _ := url.Parse("http://127.0.0.1:1")
	if pr := newPresentation("alice/lab", store.Route{StripPrefix: true}, target); pr != nil {
		t.Fatalf("presentation of a plain route = %+v, want nil", pr)
	}
	plain := &upstream{}
	rs := &upstream{pres: newPresentation("alice/rs", store.Route{Headers: map[string]string{"X-Rstudio-Root-Path": "/notebook/alice/rs/"}}, target)}
	h := http.Header{}
	res := &http.Response{StatusCode: http.StatusFound, Header: http.Header{"Location": {"/x"}}, Request: &http.Request{Header: h}}
	for name, u := range map[string]*upstream{"plain": plain, "rstudio": rs} {
		if n := testing.AllocsPerRun(100, func() { u.presentRequest(h); u.presentResponse(res, "lab.localhost") }); n != 0 {
			t.Errorf("%s route: %v allocations per request, want 0", name, n)
		}
	}
	if got := h.Get("X-Rstudio-Root-Path"); got != "/notebook/alice/rs/" {
		t.Errorf("X-RStudio-Root-Path = %q, want /notebook/alice/rs/", got)
	}
}
