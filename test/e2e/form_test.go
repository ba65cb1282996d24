package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// formConfig is the seed's spawn form: the demo image, a SAS image only
// for the organisation (whose container is in the organisation's registry),
// custom images from that registry with a tag or digest, the seed's
// machines, one GPU with its preset of one of two vendors, and a
// configuration.
const formConfig = `
spawner:
  images:
    - id: demo
      kind: demo
      default: true
      names: {en: "Demo server", fr: "Serveur de démonstration"}
      command: ["{{.Executable}}", "demo-server", "--listen", "{{.Host}}:{{.Port}}", "--base-url", "{{.BaseURL}}", "--token-env", "SPAWNHUB_DEMO_TOKEN"]
    - id: sas
      kind: sas
      names: {en: "SAS", fr: "SAS"}
      container: registry.example.org/sas/sas:9.4
      command: ["{{.Executable}}", "demo-server", "--listen", "{{.Host}}:{{.Port}}", "--base-url", "{{.BaseURL}}", "--token-env", "SPAWNHUB_DEMO_TOKEN"]
      groups: [statcan-employees]
      emailDomains: [statcan.gc.ca]
  configurations:
    - id: proxy
      names: {en: "Proxy", fr: "Mandataire"}
      env: {HTTP_PROXY: "http://127.0.0.1:3128"}
  allowCustomImages: true
  customImagePattern: 'registry\.example\.org/[a-z0-9./_-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})'
  limits:
    cpu: {min: "0.5", max: "15", default: "1"}
    memory: {min: 1Gi, max: 48Gi, default: 2Gi}
    workspaceSize: {min: 4Gi, max: 32Gi, default: 4Gi}
    volumeSize: {min: 4Gi, max: 512Gi, default: 4Gi}
    maxGPUs: 1
  gpu:
    preset: {cpu: "6", memory: 96Gi}
    vendors:
      - {id: nvidia, names: {en: NVIDIA, fr: NVIDIA}, resource: nvidia.com/gpu}
      - {id: amd, names: {en: AMD Instinct, fr: AMD Instinct}, resource: amd.com/gpu}
`

// startFormHub runs spawnhub with formConfig; it returns the hub, its data
// folder and signed-in clients by namespace.
func startFormHub(t *testing.T, users ...string) (*instance, string, map[string]*http.Client) {
	t.Helper()
	clients := map[string]*http.Client{}
	dataDir := t.TempDir()
	hub := startSpawnhub(t, spawnhubEnv{
		config: formConfig,
		env:    []string{"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + dataDir},
		beforeStop: func(base string) {
			for ns, c := range clients {
				stopAllServers(t, c, base, ns)
			}
		},
	})
	for _, u := range users {
		c := login(t, hub.URL, u)
		me := mustCall(t, c, http.StatusOK, "GET", hub.URL+"/api/v1/me", nil)
		clients[me["namespace"].(string)] = c
	}
	return hub, dataDir, clients
}

// callLang is call with an Accept-Language header.
func callLang(t *testing.T, c *http.Client, lang, method, u string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, u, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Language", lang)
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s %s: status %d, body %q is not JSON", method, u, res.StatusCode, data)
	}
	return res.StatusCode, out
}

// refusedInBothLanguages posts body in English and in French and checks
// both answers: the status, the same field, and two different non-empty
// messages. It returns the English and French messages.
func refusedInBothLanguages(t *testing.T, c *http.Client, u string, body any, status int, field string) (string, string) {
	t.Helper()
	var msgs [2]string
	for i, lang := range []string{"en-US,en;q=0.9", "fr-CA,fr;q=0.9"} {
		got, out := callLang(t, c, lang, "POST", u, body)
		if got != status {
			t.Fatalf("%s: status %d (%v), want %d", lang, got, out, status)
		}
		if f, _ := out["field"].(string); f != field {
			t.Errorf("%s: field %q (%v), want %q", lang, f, out["error"], field)
		}
		msgs[i], _ = out["error"].(string)
	}
	if msgs[0] == "" || msgs[1] == "" || msgs[0] == msgs[1] {
		t.Errorf("messages en %q, fr %q: want two different non-empty texts", msgs[0], msgs[1])
	}
	return msgs[0], msgs[1]
}

// fileNames lists every file and folder under dir.
func fileNames(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func names(t *testing.T, c *http.Client, u string) []string {
	t.Helper()
	out := mustCall(t, c, http.StatusOK, "GET", u, nil)
	var ns []string
	for _, it := range out["items"].([]any) {
		m := it.(map[string]any)
		ns = append(ns, fmt.Sprint(m["name"], ":", m["phase"], ":", m["mountedBy"]))
	}
	return ns
}

// TestSpawnFormRefusesBadInput sends every kind of bad spawn form through
// the API: each is a 400 naming the field, with a message in English and
// in French, and leaves no record, volume, file or process behind.
func TestSpawnFormRefusesBadInput(t *testing.T) {
	hub, dataDir, clients := startFormHub(t, "alice")
	alice := clients["alice"]
	api := hub.URL + "/api/v1/namespaces/alice"
	mustCall(t, alice, http.StatusCreated, "POST", api+"/servers", map[string]any{"name": "holder", "image": "demo",
		"dataVolumes": []any{map[string]any{"new": map[string]any{"name": "held"}}}})
	waitRunning(t, alice, hub.URL, "alice", "holder")
	mustCall(t, alice, http.StatusCreated, "POST", api+"/volumes", map[string]any{"name": "free-vol"})

	serversBefore, volumesBefore, filesBefore := names(t, alice, api+"/servers"), names(t, alice, api+"/volumes"), fileNames(t, dataDir)

	form := func(extra map[string]any) map[string]any {
		f := map[string]any{"name": "bad", "image": "demo"}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	newVol := func(name, size string) map[string]any {
		nv := map[string]any{}
		if name != "" {
			nv["name"] = name
		}
		if size != "" {
			nv["size"] = size
		}
		return map[string]any{"new": nv}
	}
	dvs := func(v ...map[string]any) []map[string]any { return v }
	at := func(v map[string]any, mount string) map[string]any { v["mountPath"] = mount; return v }
	existing := func(name string) map[string]any { return map[string]any{"existing": name} }

	for _, tt := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"empty name", form(map[string]any{"name": ""}), "name"},
		{"upper case name", form(map[string]any{"name": "MyServer"}), "name"},
		{"underscore in name", form(map[string]any{"name": "my_server"}), "name"},
		{"name starts with a digit", form(map[string]any{"name": "1server"}), "name"},
		{"name ends with a dash", form(map[string]any{"name": "server-"}), "name"},
		{"name of 41 characters", form(map[string]any{"name": strings.Repeat("a", 41)}), "name"},
		{"unknown image", form(map[string]any{"image": "nope"}), "image"},
		{"SAS image outside the organisation", form(map[string]any{"image": "sas"}), "image"},
		{"image and custom image", form(map[string]any{"customImage": "registry.example.org/team/x:1"}), "image"},
		{"custom image as https URL", form(map[string]any{"image": "", "customImage": "https://registry.example.org/team/x:1"}), "customImage"},
		{"custom image as http URL", form(map[string]any{"image": "", "customImage": "http://registry.example.org/team/x:1"}), "customImage"},
		{"custom image not a reference", form(map[string]any{"image": "", "customImage": "Not An Image"}), "customImage"},
		{"custom image from another registry", form(map[string]any{"image": "", "customImage": "docker.io/evil/x:1"}), "customImage"},
		{"custom image without tag or digest", form(map[string]any{"image": "", "customImage": "registry.example.org/team/x"}), "customImage"},
		{"SAS container as custom image", form(map[string]any{"image": "", "customImage": "registry.example.org/sas/sas:9.4"}), "customImage"},
		{"SAS repository with another tag", form(map[string]any{"image": "", "customImage": "registry.example.org/sas/sas:latest"}), "customImage"},
		{"cpu not a number", form(map[string]any{"cpu": "lots"}), "cpu"},
		{"cpu negative", form(map[string]any{"cpu": "-1"}), "cpu"},
		{"cpu of 1e3 cores", form(map[string]any{"cpu": "1e3"}), "cpu"},
		{"cpu above the machine", form(map[string]any{"cpu": "16"}), "cpu"},
		{"cpu below the minimum", form(map[string]any{"cpu": "100m"}), "cpu"},
		{"cpu limit below the request", form(map[string]any{"cpu": "2", "cpuLimit": "1"}), "cpuLimit"},
		{"cpu limit above the machine", form(map[string]any{"cpuLimit": "20"}), "cpuLimit"},
		{"memory in GB", form(map[string]any{"memory": "4GB"}), "memory"},
		{"memory above the machine", form(map[string]any{"memory": "64Gi"}), "memory"},
		{"memory below the minimum", form(map[string]any{"memory": "512Mi"}), "memory"},
		{"memory limit below the request", form(map[string]any{"memory": "8Gi", "memoryLimit": "4Gi"}), "memoryLimit"},
		{"memory limit above the machine", form(map[string]any{"memoryLimit": "100Gi"}), "memoryLimit"},
		{"two GPUs", form(map[string]any{"gpus": 2}), "gpus"},
		{"negative GPUs", form(map[string]any{"gpus": -1}), "gpus"},
		{"GPUs as text", form(map[string]any{"gpus": "one"}), "gpus"},
		{"unknown GPU vendor", form(map[string]any{"gpus": 1, "gpuVendor": "intel"}), "gpuVendor"},
		{"GPU vendor as a number", form(map[string]any{"gpus": 1, "gpuVendor": 2}), "gpuVendor"},
		{"workspace too big", form(map[string]any{"workspace": newVol("", "64Gi")}), "workspace.new.size"},
		{"workspace too small", form(map[string]any{"workspace": newVol("", "2Gi")}), "workspace.new.size"},
		{"workspace size not a size", form(map[string]any{"workspace": newVol("", "big")}), "workspace.new.size"},
		{"workspace new and existing", form(map[string]any{"workspace": map[string]any{"new": map[string]any{}, "existing": "free-vol"}}), "workspace"},
		{"workspace that does not exist", form(map[string]any{"workspace": existing("nope")}), "workspace.existing"},
		{"workspace with a bad name", form(map[string]any{"workspace": existing("Bad_Vol")}), "workspace.existing"},
		{"data volume neither new nor existing", form(map[string]any{"dataVolumes": dvs(map[string]any{"mountPath": "/home/jovyan/x"})}), "dataVolumes[0]"},
		{"data volume new and existing", form(map[string]any{"dataVolumes": dvs(map[string]any{"new": map[string]any{}, "existing": "free-vol"})}), "dataVolumes[0]"},
		{"data volume too big", form(map[string]any{"dataVolumes": dvs(newVol("", "1Ti"))}), "dataVolumes[0].new.size"},
		{"data volume too small", form(map[string]any{"dataVolumes": dvs(newVol("", "1Gi"))}), "dataVolumes[0].new.size"},
		{"data volume with a bad name", form(map[string]any{"dataVolumes": dvs(newVol("Data Set", ""))}), "dataVolumes[0].new.name"},
		{"relative mount path", form(map[string]any{"dataVolumes": dvs(at(newVol("", ""), "data"))}), "dataVolumes[0].mountPath"},
		{"mount path with ..", form(map[string]any{"dataVolumes": dvs(at(newVol("", ""), "/home/jovyan/../../etc"))}), "dataVolumes[0].mountPath"},
		{"mount path in /etc", form(map[string]any{"dataVolumes": dvs(at(newVol("", ""), "/etc/data"))}), "dataVolumes[0].mountPath"},
		{"mount path on the home folder", form(map[string]any{"dataVolumes": dvs(at(newVol("", ""), "/home/jovyan"))}), "dataVolumes[0].mountPath"},
		{"two volumes on one path", form(map[string]any{"dataVolumes": dvs(at(newVol("", ""), "/home/jovyan/d"), at(existing("free-vol"), "/home/jovyan/d"))}), "dataVolumes[1].mountPath"},
		{"existing data volume that does not exist", form(map[string]any{"dataVolumes": dvs(existing("nope"))}), "dataVolumes[0].existing"},
		{"one volume attached twice", form(map[string]any{"dataVolumes": dvs(existing("free-vol"), existing("free-vol"))}), "dataVolumes[1].existing"},
		{"new volume named like the workspace", form(map[string]any{"dataVolumes": dvs(newVol("bad-workspace", ""))}), "dataVolumes[0].new.name"},
		{"unknown configuration", form(map[string]any{"configurations": []string{"nope"}}), "configurations[0]"},
		{"configuration twice", form(map[string]any{"configurations": []string{"proxy", "proxy"}}), "configurations[1]"},
		{"unknown language", form(map[string]any{"language": "de"}), "language"},
		{"shared memory as text", form(map[string]any{"sharedMemory": "yes"}), "sharedMemory"},
		{"unknown field", form(map[string]any{"bogus": true}), "bogus"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			refusedInBothLanguages(t, alice, api+"/servers", tt.body, http.StatusBadRequest, tt.field)
		})
	}

	if got := names(t, alice, api+"/servers"); !slices.Equal(got, serversBefore) {
		t.Errorf("servers after bad forms = %v, want %v", got, serversBefore)
	}
	if got := names(t, alice, api+"/volumes"); !slices.Equal(got, volumesBefore) {
		t.Errorf("volumes after bad forms = %v, want %v", got, volumesBefore)
	}
	if got := fileNames(t, dataDir); !slices.Equal(got, filesBefore) {
		t.Errorf("files after bad forms = %v, want %v", got, filesBefore)
	}
}

// TestSASOnlyForTheOrganisation: a user outside the SAS groups and domains
// cannot get a SAS server by its image id, by one-click launch, or by
// posting its container image (or its repository) as a custom image; a
// user of the organisation can (whether the demo command then runs as SAS
// does not matter here).
func TestSASOnlyForTheOrganisation(t *testing.T) {
	hub, _, clients := startFormHub(t, "alice", "jane@statcan.gc.ca")
	alice := clients["alice"]
	api := hub.URL + "/api/v1/namespaces/alice"
	digest := "@sha256:" + strings.Repeat("ab", 32)
	for _, body := range []map[string]any{
		{"name": "sas1", "image": "sas"},
		{"name": "sas2", "customImage": "registry.example.org/sas/sas:9.4"},
		{"name": "sas3", "customImage": "registry.example.org/sas/sas" + digest},
		{"name": "sas4", "customImage": "registry.example.org/sas/sas:9.4" + digest},
	} {
		field := "image"
		if body["customImage"] != nil {
			field = "customImage"
		}
		refusedInBothLanguages(t, alice, api+"/servers", body, http.StatusBadRequest, field)
	}
	refusedInBothLanguages(t, alice, api+"/launch", map[string]any{"image": "sas"}, http.StatusBadRequest, "image")
	if got := names(t, alice, api+"/servers"); len(got) != 0 {
		t.Errorf("alice's servers = %v, want none", got)
	}

	cfg := mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/config", nil)
	for _, it := range cfg["images"].([]any) {
		im := it.(map[string]any)
		if im["id"] == "sas" && (im["allowed"] != false || im["reason"] == "" || im["reason"] == nil) {
			t.Errorf("config image sas for alice = %v, want not allowed with a reason", im)
		}
	}

	var janeNS string
	for ns := range clients {
		if ns != "alice" {
			janeNS = ns
		}
	}
	jane := clients[janeNS]
	srv := mustCall(t, jane, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/"+janeNS+"/servers", map[string]any{"name": "sas", "image": "sas"})
	if spec := srv["spec"].(map[string]any); spec["kind"] != "sas" {
		t.Errorf("jane's SAS server spec = %v, want kind sas", spec)
	}
	mustCall(t, jane, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/"+janeNS+"/servers",
		map[string]any{"name": "sas-custom", "customImage": "registry.example.org/sas/sas:9.4"})
}

// TestVolumeMountedElsewhere: a volume mounted by a running server cannot
// be attached to a second one, nor deleted; the refusal names the server.
// Once it stops, the second may attach it, and then the first may not
// start again. The local backend makes the volumes reachable from home.
func TestVolumeMountedElsewhere(t *testing.T) {
	hub, dataDir, clients := startFormHub(t, "alice")
	alice := clients["alice"]
	api := hub.URL + "/api/v1/namespaces/alice"
	mustCall(t, alice, http.StatusCreated, "POST", api+"/servers", map[string]any{"name": "first", "image": "demo", "language": "fr",
		"configurations": []string{"proxy"},
		"dataVolumes":    []any{map[string]any{"new": map[string]any{"name": "survey", "size": "8Gi"}}}})
	waitRunning(t, alice, hub.URL, "alice", "first")

	vols := mustCall(t, alice, http.StatusOK, "GET", api+"/volumes", nil)["items"].([]any)
	if len(vols) != 2 || vols[1].(map[string]any)["name"] != "survey" || vols[1].(map[string]any)["mountedBy"] != "first" || vols[1].(map[string]any)["size"] != "8Gi" {
		t.Errorf("volumes = %v, want first-workspace and survey (8Gi), both mounted by first", vols)
	}
	home := filepath.Join(dataDir, "local", "volumes", "alice", "first-workspace")
	if target, err := os.Readlink(filepath.Join(home, "vol-1")); err != nil || target != filepath.Join(dataDir, "local", "volumes", "alice", "survey") {
		t.Errorf("~/vol-1 of first links to %q (%v), want the survey volume's folder", target, err)
	}

	second := map[string]any{"name": "second", "image": "demo", "dataVolumes": []any{map[string]any{"existing": "survey"}}}
	en, fr := refusedInBothLanguages(t, alice, api+"/servers", second, http.StatusConflict, "dataVolumes[0].existing")
	if !strings.Contains(en, "first") || !strings.Contains(fr, "first") {
		t.Errorf("messages %q / %q do not name the server first", en, fr)
	}
	refusedInBothLanguages(t, alice, api+"/servers", map[string]any{"name": "third", "image": "demo", "workspace": map[string]any{"existing": "first-workspace"}},
		http.StatusConflict, "workspace.existing")
	for _, lang := range []string{"en", "fr"} {
		status, out := callLang(t, alice, lang, "DELETE", api+"/volumes/survey", nil)
		if status != http.StatusConflict || !strings.Contains(fmt.Sprint(out["error"]), "first") {
			t.Errorf("DELETE survey (%s) = %d %v, want 409 naming first", lang, status, out)
		}
	}
	if got := names(t, alice, api+"/servers"); len(got) != 1 {
		t.Errorf("servers = %v, want only first", got)
	}

	mustCall(t, alice, http.StatusAccepted, "POST", api+"/servers/first/stop", nil)
	mustCall(t, alice, http.StatusCreated, "POST", api+"/servers", second)
	waitRunning(t, alice, hub.URL, "alice", "second")
	status, out := call(t, alice, "POST", api+"/servers/first/start", nil)
	if status != http.StatusConflict || out["field"] != "dataVolumes[0].new.name" || !strings.Contains(fmt.Sprint(out["error"]), "second") {
		t.Errorf("start first while second mounts survey = %d %v, want 409 naming second", status, out)
	}
}

// TestFormPages: the form and volumes pages render in both languages and
// the landing page links to them.
func TestFormPages(t *testing.T) {
	hub, _, clients := startFormHub(t, "alice")
	alice := clients["alice"]
	for _, tt := range []struct{ path, lang, want string }{
		{"/namespaces/alice/new", "en", "New server"},
		{"/namespaces/alice/new", "fr", "Nouveau serveur"},
		{"/namespaces/alice/volumes", "en", "Mounted by"},
		{"/namespaces/alice/volumes", "fr", "Monté par"},
		{"/", "en", "/namespaces/alice/new"},
	} {
		req, _ := http.NewRequest("GET", hub.URL+tt.path, nil)
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Accept-Language", tt.lang)
		res, err := alice.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s (%s) = %d, want 200 containing %q", tt.path, tt.lang, res.StatusCode, tt.want)
		}
	}
	cfg := mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/config", nil)
	if cfg["gpu"].(map[string]any)["max"] != 1.0 || cfg["customImages"].(map[string]any)["allowed"] != true ||
		cfg["workspaceSize"].(map[string]any)["max"] != "32Gi" || len(cfg["configurations"].([]any)) != 1 {
		t.Errorf("config = %v, want GPU max 1, custom images, workspace up to 32Gi, one configuration", cfg)
	}
}
