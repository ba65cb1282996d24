package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// eventsIn are the server's events (message and reason in words) as its
// user reads them in lang, by reason.
func (fx *apiFixture) eventsIn(t *testing.T, lang, path string) map[string][2]string {
	t.Helper()
	res, out := fx.call("alice", lang, "GET", path+"/events", "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/events = %d", path, res.StatusCode)
	}
	byReason := map[string][2]string{}
	for _, it := range out["items"].([]any) {
		e := it.(map[string]any)
		if _, seen := byReason[e["reason"].(string)]; !seen { // the first of each
			byReason[e["reason"].(string)] = [2]string{e["reasonText"].(string), e["message"].(string)}
		}
	}
	return byReason
}

// TestCullEventsInFrench: the culler's warning, "keep it running" and its
// cull are catalog sentences: the events read in French, with the reason's
// duration, the last activity in words and its time, and so does the
// server's page; without a code a client still gets the English words.
func TestCullEventsInFrench(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 14, 2, 0, 0, time.UTC)
	fx, culler, clk := newCullingFixture(t, t0)
	ctx := context.Background()
	const lab = "/api/v1/namespaces/alice/servers/lab"
	sweep := func() {
		t.Helper()
		if _, err := culler.Sweep(ctx, false); err != nil {
			t.Fatal(err)
		}
	}
	clk.advance(time.Hour + 45*time.Minute)
	sweep()
	clk.advance(time.Minute)
	if res, _ := fx.call("alice", "fr", "POST", lab+"/keep", ""); res.StatusCode != http.StatusOK {
		t.Fatalf("keep it running = %d", res.StatusCode)
	}
	clk.advance(2*time.Hour + 15*time.Minute) // warned again, then culled
	sweep()
	clk.advance(15 * time.Minute)
	sweep()
	fr := fx.eventsIn(t, "fr", lab)
	want := map[string][2]string{
		"CullWarning": {"Avertissement d’inactivité", "Sera arrêté à 16:02 UTC pour libérer des ressources : inactif depuis 1 h 45 min ; dernière activité : souris sur le bureau à 14:02 UTC."},
		"KeptRunning": {"Gardé en marche", "Gardé en marche après l’avertissement d’inactivité."},
		"Culled":      {"Arrêté pour inactivité", "Arrêté pour inactivité : inactif depuis 2 h 30 min ; dernière activité : « le garder en marche » à 15:48 UTC."},
	}
	for reason, w := range want {
		if fr[reason] != w {
			t.Errorf("%s event in French = %q, want %q", reason, fr[reason], w)
		}
	}
	if en := fx.eventsIn(t, "en", lab)["Culled"]; en[1] != "Stopped by the idle culler: idle for 2 h 30 min; last activity: “keep it running” at 15:48 UTC." {
		t.Errorf("Culled event in English = %q", en[1])
	}
	_, body := fx.page(t, "alice", "fr", "/namespaces/alice/servers/lab?tab=events")
	for _, w := range []string{"Arrêté pour inactivité : inactif depuis 2 h 30 min", "lab a été arrêté à 18:18 UTC pour inactivité"} {
		if !strings.Contains(body, w) {
			t.Errorf("the server page in French lacks %q", w)
		}
	}
	stored, err := fx.st.ListEvents(ctx, store.Key{Namespace: "alice", Name: "lab"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range stored {
		if e.Reason == "Culled" && (e.Code != "culled.idle_since" || !strings.HasPrefix(e.Message, "stopped by the idle culler: idle for 2 h 30 min")) {
			t.Errorf("stored Culled event = code %q, words %q; want culled.idle_since and the English words", e.Code, e.Message)
		}
	}
}

// A kernel's activity names the kernel when the proxy knew it.
func TestKernelSourceInWords(t *testing.T) {
	cat, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ lang, source, want string }{
		{"en", store.KernelSource("python3"), "typing in kernel python3"},
		{"fr", store.KernelSource("python3"), "saisie dans le noyau python3"},
		{"en", store.SourceKernel, "typing in a kernel"},
		{"en", "", "use of the server"},
	} {
		if got := activitySourceText(cat.For(tt.lang), tt.source); got != tt.want {
			t.Errorf("source %q in %s = %q, want %q", tt.source, tt.lang, got, tt.want)
		}
	}
}
