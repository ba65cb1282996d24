package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestBadInputChangesNothing sends every kind of bad request and checks
// that each gets a JSON error naming the field, and that nothing changed.
func TestBadInputChangesNothing(t *testing.T) {
	hub, users := startDemoHub(t, "alice", "bob")
	alice := users["alice"]
	api := hub.URL + "/api/v1/namespaces/alice"
	mustCall(t, alice, http.StatusCreated, "POST", api+"/servers", map[string]any{"name": "dup", "image": "demo"})

	for _, tt := range []struct {
		name      string
		method    string
		url       string
		body      any
		status    int
		wantField string
	}{
		{"unknown image, launch", "POST", api + "/launch", map[string]any{"image": "nope"}, 400, "image"},
		{"unknown image, create", "POST", api + "/servers", map[string]any{"name": "ok-name", "image": "nope"}, 400, "image"},
		{"upper case name", "POST", api + "/servers", map[string]any{"name": "MyServer", "image": "demo"}, 400, "name"},
		{"underscore in name", "POST", api + "/servers", map[string]any{"name": "my_server", "image": "demo"}, 400, "name"},
		{"name starts with a digit", "POST", api + "/servers", map[string]any{"name": "1server", "image": "demo"}, 400, "name"},
		{"name ends with a dash", "POST", api + "/servers", map[string]any{"name": "server-", "image": "demo"}, 400, "name"},
		{"name of 41 characters", "POST", api + "/servers", map[string]any{"name": strings.Repeat("a", 41), "image": "demo"}, 400, "name"},
		{"empty name", "POST", api + "/servers", map[string]any{"name": "", "image": "demo"}, 400, "name"},
		{"duplicate name", "POST", api + "/servers", map[string]any{"name": "dup", "image": "demo"}, 409, "name"},
		{"unknown field", "POST", api + "/servers", map[string]any{"name": "ok-name", "image": "demo", "bogus": 1}, 400, "bogus"},
		{"wrong type", "POST", api + "/servers", map[string]any{"name": 42, "image": "demo"}, 400, "name"},
		{"another user's namespace", "POST", hub.URL + "/api/v1/namespaces/bob/servers", map[string]any{"name": "sneaky", "image": "demo"}, 404, ""},
		{"another user's server", "POST", hub.URL + "/api/v1/namespaces/bob/servers/x/start", nil, 404, ""},
		{"unknown namespace", "GET", hub.URL + "/api/v1/namespaces/nobody/servers", nil, 404, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, alice, tt.method, tt.url, tt.body)
			if status != tt.status {
				t.Fatalf("status %d (%v), want %d", status, body, tt.status)
			}
			if body["error"] == nil || body["error"] == "" {
				t.Errorf("body %v has no error message", body)
			}
			if got, _ := body["field"].(string); got != tt.wantField {
				t.Errorf("field = %q, want %q", got, tt.wantField)
			}
		})
	}

	t.Run("no session", func(t *testing.T) {
		anon := &http.Client{}
		for _, u := range []string{api + "/servers", hub.URL + "/api/v1/me"} {
			if status, body := call(t, anon, "GET", u, nil); status != http.StatusUnauthorized || body["error"] == nil {
				t.Errorf("GET %s without session: %d %v, want 401 with error", u, status, body)
			}
		}
		if status, _ := call(t, anon, "POST", api+"/launch", map[string]string{"image": "demo"}); status != http.StatusUnauthorized {
			t.Errorf("POST launch without session: %d, want 401", status)
		}
	})

	t.Run("errors in French", func(t *testing.T) {
		req, _ := http.NewRequest("POST", api+"/servers", strings.NewReader(`{"name":"Bad_Name","image":"demo"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", "fr-CA,fr;q=0.9")
		res, err := alice.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		decodeJSON(t, res, &body)
		_, en := call(t, alice, "POST", api+"/servers", map[string]any{"name": "Bad_Name", "image": "demo"})
		if body["field"] != "name" || body["error"] == en["error"] {
			t.Errorf("French error %v; English error %v: want the same field and a different text", body, en)
		}
	})

	list := mustCall(t, alice, http.StatusOK, "GET", api+"/servers", nil)
	if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["name"] != "dup" {
		t.Errorf("servers after bad input = %v, want only dup", items)
	}
	bobList := mustCall(t, users["bob"], http.StatusOK, "GET", hub.URL+"/api/v1/namespaces/bob/servers", nil)
	if items := bobList["items"].([]any); len(items) != 0 {
		t.Errorf("bob's servers after alice's attempts = %v, want none", items)
	}
}
