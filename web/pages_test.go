package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
)

// Browsers asking for a page get an HTML page in their language with a
// way back; the API and other clients keep the JSON body.
func TestBrowsersGetErrorPages(t *testing.T) {
	fx := newHandlerFixture(t)
	for _, tt := range []struct {
		name, path, accept string
		wantHTML           bool
	}{
		{"unknown page", "/no/such/page", "text/html,*/*", true},
		{"another namespace's server page", "/namespaces/bob/servers/lab", "text/html", true},
		{"the API, even from a browser", "/api/v1/namespaces/bob/servers", "text/html", false},
		{"a script", "/no/such/page", "application/json", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			req.Header.Set("X-User", "alice")
			req.Header.Set("Accept", tt.accept)
			req.Header.Set("Accept-Language", "fr")
			rec := httptest.NewRecorder()
			fx.h.ServeHTTP(rec, req)
			html := strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html")
			if rec.Code != http.StatusNotFound || html != tt.wantHTML {
				t.Fatalf("GET %s = %d %s, want 404 (HTML %v)", tt.path, rec.Code, rec.Header().Get("Content-Type"), tt.wantHTML)
			}
			if body := rec.Body.String(); html && (!strings.Contains(body, "Page introuvable") || !strings.Contains(body, `href="/"`)) {
				t.Errorf("error page = %s, want the French title and a way back", body)
			}
		})
	}
}

// A bad login name from the login form shows the login page again with
// the rule next to the field, not JSON.
func TestBadLoginNameShowsTheForm(t *testing.T) {
	fx := newHandlerFixture(t)
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader("username=Bad+Name!"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="username-error"`) {
		t.Errorf("POST /login with a bad name = %d %s, want 400 with the login form and its error", rec.Code, rec.Body.String())
	}
}

// Several refused fields come back together, the first also as the main
// error.
func TestEveryFieldErrorInTheBody(t *testing.T) {
	cat, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	errs := form.FieldErrors{{Field: "name", Code: "name.required"}, {Field: "cpu", Code: "cpu.invalid", Params: map[string]any{"value": "x"}}}
	got := everyField(cat.For("fr"), errs)
	if len(got) != 2 || got[0].Field != "name" || got[1].Field != "cpu" || !strings.Contains(got[1].Error, "cœurs") {
		t.Errorf("everyField = %+v, want both fields in French", got)
	}
	if fe, ok := fieldErrorOf(errs); !ok || fe.Field != "name" || !errors.Is(errs, form.ErrInvalidSpec) {
		t.Errorf("fieldErrorOf = %v %v, want the first field, an invalid spec", fe, ok)
	}
}

// Stored codes render in the reader's language; without a code (or one
// the catalog lacks) the stored words show.
func TestSayRendersCodes(t *testing.T) {
	cat, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	fr := cat.For("fr")
	if got := fr.Say("queue.position", map[string]string{"count": "3"}, "waiting for 3 servers ahead"); got != "Place dans la file : 3." {
		t.Errorf("Say(queue.position) in French = %q", got)
	}
	if got := fr.Say("", nil, "pod default/x: Pulling"); got != "pod default/x: Pulling" {
		t.Errorf("Say without a code = %q, want the words", got)
	}
	if got := fr.Say("no.such.code", nil, "as stored"); got != "as stored" {
		t.Errorf("Say with an unknown code = %q, want the words", got)
	}
	if got, want := fr.Number(1234567), "1\u202f234\u202f567"; got != want {
		t.Errorf("Number in French = %q, want %q", got, want)
	}
	at := time.Date(2026, 12, 2, 14, 5, 0, 0, time.UTC)
	if got := fr.When(at); got != "2 déc. 2026, 14 h 05 UTC" {
		t.Errorf("When in French = %q", got)
	}
}

// Events are grouped by start, the latest first.
func TestGroupByStart(t *testing.T) {
	ev := func(reason string, min int) eventView {
		return eventView{Reason: reason, Time: time.Date(2026, 1, 1, 10, min, 0, 0, time.UTC)}
	}
	groups := groupByStart([]eventView{
		ev("Created", 0), ev("Queued", 0), ev("Starting", 1), ev("Started", 1), ev("Stopping", 5), ev("Stopped", 5),
		ev("Queued", 9), ev("Starting", 9), ev("Failed", 10),
	})
	if len(groups) != 2 || len(groups[0].Events) != 3 || groups[0].Events[2].Reason != "Failed" || len(groups[1].Events) != 6 {
		t.Errorf("groups = %+v, want the second start (3 events) then the first (6)", groups)
	}
}

// Tokens a server prints in its log are hidden on the logs tab.
func TestLogsHideTokens(t *testing.T) {
	in := "http://127.0.0.1:8888/notebook/alice/lab/?token=0123456789abcdef0123\nJUPYTER_TOKEN: s3cr3tt0k3n-abcdef\n"
	out := string(redactTokens([]byte(in)))
	if strings.Contains(out, "0123456789abcdef") || strings.Contains(out, "s3cr3tt0k3n") || !strings.Contains(out, "?token=…") {
		t.Errorf("redacted log = %q, want no token left", out)
	}
}
