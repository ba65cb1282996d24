package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

func (fx *apiFixture) postForm(t *testing.T, user, lang, path string, form url.Values) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("X-User", user)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Accept-Language", lang)
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func TestAdminPageFiltersPreviewStopInFrench(t *testing.T) {
	fx := newAdminFixture(t, time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC))
	code, body := fx.page(t, "root", "fr", "/admin?idleFor=1h&sort=idle")
	if code != http.StatusOK {
		t.Fatalf("GET /admin as root: %d\n%s", code, body)
	}
	for _, want := range []string{"Administration", "Inactif depuis plus de", "4 serveurs · 4 CPU · 8 Gi de mémoire · 0 GPU",
		`data-server="alice/lab-4"`, `data-server="bob/lab-3"`, "Arrêter tous les serveurs de ce filtre (4)", "Heures CPU", "<svg", "Prochains arrêts"} {
		if !strings.Contains(body, want) {
			t.Errorf("the French console lacks %q", want)
		}
	}
	if strings.Contains(body, `data-server="alice/lab-1"`) {
		t.Error("the console lists alice/lab-1, idle 30 min, under idle > 1 h")
	}
	for _, user := range []string{"alice", "bob"} {
		if code, _ := fx.page(t, user, "en", "/admin"); code != http.StatusNotFound {
			t.Errorf("GET /admin as %s: %d, want 404", user, code)
		}
		if code, _ := fx.postForm(t, user, "en", "/admin/stop", url.Values{"server": {"alice/lab-0"}}); code != http.StatusNotFound {
			t.Errorf("POST /admin/stop as %s: %d, want 404", user, code)
		}
	}

	code, body = fx.postForm(t, "root", "fr", "/admin/stop/preview", url.Values{"scope": {"filter"}, "idleFor": {"1h"}, "namespace": {"alice"}})
	if code != http.StatusOK || !strings.Contains(body, "2 serveurs seront arrêtés") || !strings.Contains(body, `name="server" value="alice/lab-3"`) {
		t.Fatalf("preview: %d\n%s", code, body)
	}
	if p := phaseOf(t, fx.st, "alice", "lab-3"); p != store.PhaseRunning {
		t.Fatalf("the preview stopped alice/lab-3 (%s)", p)
	}
	code, body = fx.postForm(t, "root", "fr", "/admin/stop", url.Values{"server": {"alice/lab-3", "alice/lab-2"}, "back": {"/admin?idleFor=1h"}})
	if code != http.StatusOK || !strings.Contains(body, "2 serveurs arrêtés.") || !strings.Contains(body, `href="/admin?idleFor=1h"`) {
		t.Fatalf("stop: %d\n%s", code, body)
	}
	for _, n := range []string{"lab-3", "lab-2"} {
		if p := phaseOf(t, fx.st, "alice", n); p != store.PhaseStopped {
			t.Errorf("alice/%s is %s after the stop, want stopped", n, p)
		}
	}
	if code, body = fx.postForm(t, "root", "en", "/admin/stop", url.Values{"back": {"https://evil.example/"}}); code != http.StatusBadRequest {
		t.Errorf("stop of nothing: %d, want 400", code)
	}
}
