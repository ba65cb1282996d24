package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestSharingANamespace: alice shares her namespace with bob (edit) and
// carol (view). Bob uses alice's Jupyter through the proxy; carol sees the
// servers but cannot connect or act; once alice removes bob, his next
// request is a 404 and his open kernel websocket is closed.
func TestSharingANamespace(t *testing.T) {
	requireTool(t, "jupyter-notebook")
	clients := map[string]*http.Client{}
	hub := startSpawnhub(t, spawnhubEnv{
		env: []string{"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + t.TempDir()},
		beforeStop: func(base string) {
			if c := clients["alice"]; c != nil {
				stopAllServers(t, c, base, "alice")
			}
		},
	})
	for _, u := range []string{"alice", "bob", "carol"} {
		clients[u] = login(t, hub.URL, u)
	}
	alice, bob, carol := clients["alice"], clients["bob"], clients["carol"]
	api := hub.URL + "/api/v1/namespaces/alice"
	srv := mustCall(t, alice, http.StatusCreated, "POST", api+"/launch", map[string]string{"image": "jupyter-notebook"})
	name := srv["name"].(string)
	waitRunning(t, alice, hub.URL, "alice", name)
	base := hub.URL + "/notebook/alice/" + name

	if got, _ := call(t, bob, "GET", base+"/api/status", nil); got != http.StatusNotFound {
		t.Fatalf("bob before sharing: %d, want 404", got)
	}
	mustCall(t, alice, http.StatusOK, "POST", api+"/contributors", map[string]string{"user": "bob", "role": "edit"})
	mustCall(t, alice, http.StatusOK, "POST", api+"/contributors", map[string]string{"user": "carol", "role": "view"})
	if got, body := call(t, bob, "POST", api+"/contributors", map[string]string{"user": "mallory", "role": "edit"}); got != http.StatusForbidden {
		t.Errorf("bob (edit) adding a contributor: %d %v, want 403", got, body)
	}

	nss := mustCall(t, bob, http.StatusOK, "GET", hub.URL+"/api/v1/namespaces", nil)
	if fmt.Sprint(nss["items"]) != "[map[name:bob owner:bob role:owner] map[name:alice owner:alice role:edit]]" {
		t.Errorf("bob's namespaces = %v, want his own then alice's with role edit", nss["items"])
	}

	mustCall(t, bob, http.StatusOK, "GET", base+"/api/status", nil)
	kernel := mustCall(t, bob, http.StatusCreated, "POST", base+"/api/kernels", map[string]string{"name": "python3"})
	ws, _, err := dialWS(t, bob, hub.URL, "/notebook/alice/"+name+"/api/kernels/"+kernel["id"].(string)+"/channels")
	if err != nil {
		t.Fatalf("bob's kernel websocket: %v", err)
	}
	defer ws.Close()
	if got := executeOnKernel(t, ws, "6*7"); got != "42" {
		t.Errorf("bob's 6*7 = %q, want 42", got)
	}

	t.Run("viewer sees but cannot connect or act", func(t *testing.T) {
		list := mustCall(t, carol, http.StatusOK, "GET", api+"/servers", nil)
		if items := list["items"].([]any); len(items) != 1 {
			t.Errorf("carol's view of alice's servers = %v, want one", items)
		}
		if got, _ := call(t, carol, "GET", base+"/api/status", nil); got != http.StatusNotFound {
			t.Errorf("carol (view) through the proxy: %d, want 404", got)
		}
		if got, _ := call(t, carol, "POST", api+"/servers/"+name+"/stop", nil); got != http.StatusForbidden {
			t.Errorf("carol (view) stopping: %d, want 403", got)
		}
	})

	t.Run("removal takes effect at once, websockets included", func(t *testing.T) {
		mustCall(t, alice, http.StatusNoContent, "DELETE", api+"/contributors/bob", nil)
		if got, _ := call(t, bob, "GET", base+"/api/status", nil); got != http.StatusNotFound {
			t.Errorf("bob after removal: %d, want 404", got)
		}
		if got, _ := call(t, bob, "GET", api+"/servers", nil); got != http.StatusNotFound {
			t.Errorf("bob listing alice's servers after removal: %d, want 404", got)
		}
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			_, _, err := ws.ReadMessage()
			if err == nil {
				continue // kernel chatter still in flight
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Error("bob's kernel websocket still open 10s after his removal")
			}
			break
		}
	})
}
