package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/spawnhub/spawnhub/test/poll"
)

// demoOnlyConfig serves only the built-in demo server: the flow must work
// on a machine without Jupyter.
const demoOnlyConfig = `
spawner:
  images:
    - id: demo
      kind: demo
      default: true
      names: {en: "Demo server", fr: "Serveur de démonstration"}
      command: ["{{.Executable}}", "demo-server", "--listen", "{{.Host}}:{{.Port}}", "--base-url", "{{.BaseURL}}", "--token-env", "SPAWNHUB_DEMO_TOKEN"]
`

// startDemoHub runs spawnhub with the memory store and the demo image.
func startDemoHub(t *testing.T, users ...string) (*instance, map[string]*http.Client) {
	t.Helper()
	clients := map[string]*http.Client{}
	env := spawnhubEnv{
		config: demoOnlyConfig,
		env:    []string{"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + t.TempDir()},
		beforeStop: func(base string) {
			for ns, c := range clients {
				stopAllServers(t, c, base, ns)
			}
		},
	}
	hub := startSpawnhub(t, env)
	for _, u := range users {
		clients[u] = login(t, hub.URL, u)
	}
	return hub, clients
}

func TestDemoServerWithMemoryStore(t *testing.T) {
	hub, users := startDemoHub(t, "alice", "bob")
	alice, bob := users["alice"], users["bob"]

	cfg := mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/config", nil)
	if images := cfg["images"].([]any); len(images) != 1 || images[0].(map[string]any)["id"] != "demo" {
		t.Fatalf("config images = %v, want only demo", images)
	}
	srv := mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "demo"})
	name := srv["name"].(string)
	waitRunning(t, alice, hub.URL, "alice", name)
	base := hub.URL + "/notebook/alice/" + name

	if st := mustCall(t, alice, http.StatusOK, "GET", base+"/api/status", nil); st["ok"] != true {
		t.Errorf("demo api/status = %v, want ok", st)
	}
	ws, _, err := dialWS(t, alice, hub.URL, "/notebook/alice/"+name+"/ws")
	if err != nil {
		t.Fatalf("demo websocket through the proxy: %v", err)
	}
	for _, m := range []struct {
		kind int
		data []byte
	}{{websocket.TextMessage, []byte("hello")}, {websocket.BinaryMessage, []byte{0, 1, 2, 255}}} {
		if err := ws.WriteMessage(m.kind, m.data); err != nil {
			t.Fatal(err)
		}
		kind, got, err := ws.ReadMessage()
		if err != nil || kind != m.kind || !bytes.Equal(got, m.data) {
			t.Errorf("echo of %v = (%d, %v, %v), want the same message back", m.data, kind, got, err)
		}
	}
	ws.Close()

	if got, _ := call(t, bob, "GET", base+"/api/status", nil); got != http.StatusNotFound {
		t.Errorf("bob GET alice's demo server: status %d, want 404", got)
	}
	// bob gets no session on alice's workspace origin (the hub refuses to
	// sign him in there), and his own origin serves only his namespace
	if _, res, err := dialWS(t, bob, hub.URL, "/notebook/alice/"+name+"/ws"); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("bob websocket on alice's workspace origin: err %v, want 401", err)
	}
	bobOrigin := signInWorkspace(t, bob, hub.URL, "/notebook/bob/x/")
	h := http.Header{"Cookie": {sessionCookie(bob, bobOrigin)}, "Origin": {bobOrigin}}
	if _, res, err := websocketDialer.Dial("ws"+strings.TrimPrefix(bobOrigin, "http")+"/notebook/alice/"+name+"/ws", h); err == nil || res == nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("bob websocket to alice's server on his own origin: err %v, want 404", err)
	}

	mustCall(t, alice, http.StatusAccepted, "POST", hub.URL+"/api/v1/namespaces/alice/servers/"+name+"/stop", nil)
	poll.Until(t, 30e9, "stopped", func() bool {
		_, s := call(t, alice, "GET", hub.URL+"/api/v1/namespaces/alice/servers/"+name, nil)
		return s["phase"] == "stopped"
	})
	assertNotRunningAnswers(t, alice, base+"/?x=1")

	mustCall(t, alice, http.StatusAccepted, "POST", hub.URL+"/api/v1/namespaces/alice/servers/"+name+"/start", nil)
	waitRunning(t, alice, hub.URL, "alice", name)
	mustCall(t, alice, http.StatusOK, "GET", base+"/api/status", nil)
}
