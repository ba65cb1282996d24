package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// attackScene is a hub where bob serves an attack page from his own server
// and alice works: a Jupyter server with a running kernel and a demo
// server. alice contributes (edit) to bob's namespace; ada is an
// administrator.
type attackScene struct {
	t          *testing.T
	port       int
	hub        string // the hub origin
	sameOrigin bool   // insecureSameOriginWorkspaces: workspaces on the hub origin
	users      map[string]*http.Client
	pageServer string // bob's server that serves the attack page
	jupyter    string // alice's Jupyter server
	demo       string // alice's demo server
	kernel     string // the kernel alice is working in
	aliceAPI   *http.Client
}

// attackImages is the catalogue: the demo server, Jupyter from Debian, and
// bob's page server (testdata/attack/server.py), which serves the folder
// filled in for %[1]s.
const attackImages = `
spawner:
  images:
    - id: demo
      kind: demo
      default: true
      command: ["{{.Executable}}", "demo-server", "--listen", "{{.Host}}:{{.Port}}", "--base-url", "{{.BaseURL}}", "--token-env", "SPAWNHUB_DEMO_TOKEN"]
    - id: jupyter-notebook
      kind: jupyter
      readyPath: api/status
      command: ["/usr/bin/python3", "-m", "notebook", "--no-browser", "--allow-root", "--ip={{.Host}}", "--port={{.Port}}",
                "--NotebookApp.base_url={{.BaseURL}}", "--NotebookApp.allow_remote_access=True", "--notebook-dir={{.Home}}"]
    - id: bobs-pages
      kind: demo
      stripPrefix: true
      command: ["/usr/bin/python3", "%[1]s/server.py", "--host", "{{.Host}}", "--port", "{{.Port}}", "--dir", "%[1]s"]
auth:
  admins:
    emails: [ada]
`

// newAttackScene starts the hub and every server of the scene. With
// sameOrigin the hub runs with insecureSameOriginWorkspaces; otherwise with
// workspace origins on *.localhost.
func newAttackScene(t *testing.T, sameOrigin bool) *attackScene {
	t.Helper()
	s := &attackScene{t: t, port: freePort(t), sameOrigin: sameOrigin, users: map[string]*http.Client{}}
	s.hub = fmt.Sprintf("http://127.0.0.1:%d", s.port)
	pages := attackPages(t)
	config := "publicURL: " + s.hub + "\n"
	env := []string{"SPAWNHUB_LISTEN=" + strings.TrimPrefix(s.hub, "http://"), "SPAWNHUB_DATADIR=" + t.TempDir()}
	if sameOrigin {
		config += "insecureSameOriginWorkspaces: true\n"
	} else {
		config += fmt.Sprintf("workspaceURL: \"http://{ns}.localhost:%d\"\n", s.port)
	}
	hub := startSpawnhub(t, spawnhubEnv{
		config: config + fmt.Sprintf(attackImages, pages),
		env:    env,
		beforeStop: func(base string) {
			for _, ns := range []string{"alice", "bob"} {
				if c := s.users[ns]; c != nil {
					stopAllServers(t, c, base, ns)
				}
			}
		},
	})
	if hub.URL != s.hub {
		t.Fatalf("spawnhub listens on %s, want %s", hub.URL, s.hub)
	}
	for _, u := range []string{"alice", "bob", "ada"} {
		s.users[u] = login(t, s.hub, u)
	}
	s.bobServesThePage(pages)
	s.aliceWorks()
	return s
}

// attackPages copies testdata/attack to a folder bob's server can read,
// whatever account the local backend runs servers as.
func attackPages(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "spawnhub-attack-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.CopyFS(dir, os.DirFS("testdata/attack")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// bobServesThePage: bob shares his namespace with alice, puts his own
// session cookie next to the page (to toss it) and starts his page server.
func (s *attackScene) bobServesThePage(pages string) {
	t, bob := s.t, s.users["bob"]
	mustCall(t, bob, http.StatusOK, "POST", s.hub+"/api/v1/namespaces/bob/contributors", map[string]string{"user": "alice", "role": "edit"})
	if err := os.WriteFile(filepath.Join(pages, "bob-session"), []byte(cookieOf(bob, s.hub, "spawnhub_session")), 0o644); err != nil {
		t.Fatal(err)
	}
	s.pageServer = launchServer(t, bob, s.hub, "bob", "bobs-pages")
	waitRunning(t, bob, s.hub, "bob", s.pageServer)
}

// aliceWorks starts alice's Jupyter with a kernel, and a demo server.
func (s *attackScene) aliceWorks() {
	t, alice := s.t, s.users["alice"]
	s.demo = launchServer(t, alice, s.hub, "alice", "demo")
	waitRunning(t, alice, s.hub, "alice", s.demo)
	s.jupyter = launchServer(t, alice, s.hub, "alice", "jupyter-notebook")
	waitRunning(t, alice, s.hub, "alice", s.jupyter)
	token := mustCall(t, alice, http.StatusCreated, "POST", s.hub+"/api/v1/tokens", map[string]string{"name": "checks", "expiresIn": "1h"})
	s.aliceAPI = bearerClient(token["token"].(string))
	kernel := mustCall(t, s.aliceAPI, http.StatusCreated, "POST", s.jupyterOnHub()+"api/kernels", map[string]string{"name": "python3"})
	s.kernel = kernel["id"].(string)
}

func launchServer(t *testing.T, c *http.Client, base, ns, image string) string {
	t.Helper()
	srv := mustCall(t, c, http.StatusCreated, "POST", base+"/api/v1/namespaces/"+ns+"/launch", map[string]string{"image": image})
	return srv["name"].(string)
}

// origin is the workspace origin of a namespace.
func (s *attackScene) origin(ns string) string {
	if s.sameOrigin {
		return s.hub
	}
	return fmt.Sprintf("http://%s.localhost:%d", ns, s.port)
}

// jupyterURL is alice's Jupyter base URL on its workspace origin.
func (s *attackScene) jupyterURL() string {
	return s.origin("alice") + "/notebook/alice/" + s.jupyter + "/"
}

// jupyterOnHub is alice's Jupyter base URL on the hub origin, where bearer
// clients may use it.
func (s *attackScene) jupyterOnHub() string {
	return s.hub + "/notebook/alice/" + s.jupyter + "/"
}

// attackURL is bob's page, with everything an attacker could learn about
// alice given away in its query.
func (s *attackScene) attackURL() string {
	q := url.Values{"hub": {s.hub}, "ns": {"alice"}, "demo": {s.demo}, "kernel": {s.kernel},
		"alice": {s.jupyterURL()}, "aliceOnHub": {s.jupyterOnHub()}}
	return s.origin("bob") + "/notebook/bob/" + s.pageServer + "/evil.html?" + q.Encode()
}

// hubState is what the attack is after, read with the victims' own clients.
type hubState struct {
	tokens       []string          // the visitor's tokens: "id scopes"
	contributors []string          // alice's namespace: "user:role"
	phases       map[string]string // alice's servers
	kernels      []string          // in alice's Jupyter
	files        []string          // in alice's home, through Jupyter
}

func (s *attackScene) state(visitor string) hubState {
	t := s.t
	st := hubState{phases: map[string]string{}}
	var tokens struct {
		Items []struct {
			ID, Name string
			Scopes   []string
		}
	}
	getJSON(t, s.users[visitor], s.hub+"/api/v1/tokens", &tokens)
	for _, tk := range tokens.Items {
		st.tokens = append(st.tokens, tk.ID+" "+strings.Join(tk.Scopes, ","))
	}
	var contributors struct{ Items []struct{ User, Role string } }
	getJSON(t, s.users["alice"], s.hub+"/api/v1/namespaces/alice/contributors", &contributors)
	for _, c := range contributors.Items {
		st.contributors = append(st.contributors, c.User+":"+c.Role)
	}
	var servers struct {
		Items []struct{ Name, Phase string }
	}
	getJSON(t, s.users["alice"], s.hub+"/api/v1/namespaces/alice/servers", &servers)
	for _, srv := range servers.Items {
		st.phases[srv.Name] = srv.Phase
	}
	var kernels []struct{ ID string }
	getJSON(t, s.aliceAPI, s.jupyterOnHub()+"api/kernels", &kernels)
	for _, k := range kernels {
		st.kernels = append(st.kernels, k.ID)
	}
	var contents struct{ Content []struct{ Name string } }
	getJSON(t, s.aliceAPI, s.jupyterOnHub()+"api/contents", &contents)
	for _, f := range contents.Content {
		st.files = append(st.files, f.Name)
	}
	slices.Sort(st.tokens)
	slices.Sort(st.kernels)
	slices.Sort(st.files)
	return st
}

// getJSON GETs u and decodes its JSON answer into v; anything but 200
// fails the test.
func getJSON(t *testing.T, c *http.Client, u string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "application/json")
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", u, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// bearerClient authenticates every request with an API token; it has no
// cookies and does not follow redirects.
func bearerClient(token string) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: bearer{token},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// cookieOf returns the value of the client's cookie name for base.
func cookieOf(c *http.Client, base, name string) string {
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}
