package e2e

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestAPIShowsOnlyWhatTheUserChose: a server's JSON (one server, the list,
// the admin list) carries the form the user sent, never the environment
// an administrator's configuration adds, which GET /api/v1/config does
// not show either.
func TestAPIShowsOnlyWhatTheUserChose(t *testing.T) {
	hub, _, clients := startFormHub(t, "alice")
	alice := clients["alice"]
	api := hub.URL + "/api/v1/namespaces/alice"
	mustCall(t, alice, http.StatusCreated, "POST", api+"/servers", map[string]any{"name": "lab", "image": "demo", "configurations": []string{"proxy"}})
	waitRunning(t, alice, hub.URL, "alice", "lab")
	for _, u := range []string{api + "/servers/lab", api + "/servers", hub.URL + "/api/v1/config"} {
		req, _ := http.NewRequest("GET", u, nil)
		res, err := alice.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(body), "3128") || strings.Contains(string(body), "HTTP_PROXY") {
			t.Errorf("GET %s shows the configuration's environment: %s", u, body)
		}
	}
	spec := mustCall(t, alice, http.StatusOK, "GET", api+"/servers/lab", nil)["spec"].(map[string]any)
	if fmt.Sprint(spec["configurations"]) != "[proxy]" || spec["image"] != "demo" || spec["workspace"].(map[string]any)["new"] == nil {
		t.Errorf("spec = %v, want the form: image demo, configuration proxy, a new workspace", spec)
	}
}

// TestNestedUnknownFieldsAreNamed: an unknown field deep in the form is
// refused with its JSON path, in English and in French.
func TestNestedUnknownFieldsAreNamed(t *testing.T) {
	hub, _, clients := startFormHub(t, "alice")
	api := hub.URL + "/api/v1/namespaces/alice"
	for _, tt := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "a", "workspace": map[string]any{"new": map[string]any{"size": "4Gi", "storageClass": "fast"}}}, "workspace.new.storageClass"},
		{map[string]any{"name": "a", "dataVolumes": []any{map[string]any{"new": map[string]any{}}, map[string]any{"existing": "x", "foo": 1}}}, "dataVolumes[1].foo"},
	} {
		refusedInBothLanguages(t, clients["alice"], api+"/servers", tt.body, http.StatusBadRequest, tt.field)
	}
	if got := names(t, clients["alice"], api+"/servers"); len(got) != 0 {
		t.Errorf("servers after refused forms = %v, want none", got)
	}
}

// TestAdminsCreateOnlyInExistingNamespaces: an administrator cannot create
// volumes or servers for a namespace nobody has (404) or a name that is no
// namespace's (400), and no folder appears; a namespace a user took first
// does not keep a newcomer whose email has the same slug from signing in.
func TestAdminsCreateOnlyInExistingNamespaces(t *testing.T) {
	dataDir := t.TempDir()
	hub := startSpawnhub(t, spawnhubEnv{config: demoOnlyConfig, env: []string{
		"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + dataDir,
		"SPAWNHUB_AUTH_ADMINS_EMAILS=root",
	}})
	root := login(t, hub.URL, "root")
	before := fileNames(t, dataDir)
	for _, tt := range []struct {
		path   string
		body   map[string]any
		status int
		field  string
	}{
		{"/api/v1/namespaces/nobody/volumes", map[string]any{"name": "data"}, 404, ""},
		{"/api/v1/namespaces/Bad_NS/volumes", map[string]any{"name": "data"}, 400, "namespace"},
		{"/api/v1/namespaces/nobody/servers", map[string]any{"name": "lab", "image": "demo"}, 404, ""},
		{"/api/v1/namespaces/nobody/launch", map[string]any{"image": "demo"}, 404, ""},
	} {
		status, out := call(t, root, "POST", hub.URL+tt.path, tt.body)
		if f, _ := out["field"].(string); status != tt.status || f != tt.field || out["error"] == nil {
			t.Errorf("admin POST %s = %d %v, want %d on %q", tt.path, status, out, tt.status, tt.field)
		}
	}
	if got := fileNames(t, dataDir); !slices.Equal(got, before) {
		t.Errorf("files after refusals = %v, want %v", got, before)
	}

	login(t, hub.URL, "jane-doe")
	jane := login(t, hub.URL, "jane.doe") // the same slug: signs in all the same
	if ns := mustCall(t, jane, http.StatusOK, "GET", hub.URL+"/api/v1/me", nil)["namespace"].(string); !strings.HasPrefix(ns, "jane-doe--") {
		t.Errorf("jane.doe's namespace = %q, want jane-doe--<suffix>", ns)
	}
}
