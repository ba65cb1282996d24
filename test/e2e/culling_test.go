package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/test/poll"
)

// cullingEnv turns the culler on with short timeouts; sweeps come only from
// the test (POST /api/v1/admin/cull: the ticks), never from the interval.
func cullingEnv(idle, warn time.Duration) []string {
	return []string{
		"SPAWNHUB_CULLING_ENABLED=true", "SPAWNHUB_CULLING_IDLETIMEOUT=" + idle.String(),
		"SPAWNHUB_CULLING_WARNBEFORE=" + warn.String(), "SPAWNHUB_CULLING_INTERVAL=1000h",
		"SPAWNHUB_AUTH_ADMINS_EMAILS=root",
	}
}

// eventReasons are the reasons of a server's events, oldest first.
func eventReasons(t *testing.T, c *http.Client, base, ns, name string) []string {
	t.Helper()
	out := mustCall(t, c, http.StatusOK, "GET", base+"/api/v1/namespaces/"+ns+"/servers/"+name+"/events", nil)
	var reasons []string
	for _, it := range out["items"].([]any) {
		reasons = append(reasons, it.(map[string]any)["reason"].(string))
	}
	return reasons
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func phaseOf(t *testing.T, c *http.Client, base, ns, name string) any {
	t.Helper()
	return mustCall(t, c, http.StatusOK, "GET", base+"/api/v1/namespaces/"+ns+"/servers/"+name, nil)["phase"]
}

// TestTwoReplicasCullEachIdleServerOnce: two spawnhub processes on one
// Redis sweep at the same moments, over and over; each idle server gets
// one warning, one cull and one stop.
func TestTwoReplicasCullEachIdleServerOnce(t *testing.T) {
	addr := startRedis(t)
	var alice *http.Client
	env := append([]string{"SPAWNHUB_STORE_DRIVER=redis", "SPAWNHUB_STORE_REDIS_ADDR=" + addr,
		"SPAWNHUB_AUTH_SESSIONKEYS=k1:" + strings.Repeat("c", 40)}, cullingEnv(3*time.Second, 2*time.Second)...)
	var hubs []*instance
	for range 2 {
		hubs = append(hubs, startSpawnhub(t, spawnhubEnv{config: demoOnlyConfig, env: append([]string{
			"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + t.TempDir()}, env...),
			beforeStop: func(base string) { stopAllServers(t, alice, base, "alice") }}))
	}
	alice = login(t, hubs[0].URL, "alice")
	var names []string
	for range 4 {
		srv := mustCall(t, alice, http.StatusCreated, "POST", hubs[0].URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "demo"})
		names = append(names, srv["name"].(string))
		waitRunning(t, alice, hubs[0].URL, "alice", names[len(names)-1])
	}
	roots := []*http.Client{login(t, hubs[0].URL, "root"), login(t, hubs[1].URL, "root")}
	poll.Until(t, 60*time.Second, "every idle server culled", func() bool {
		var wg sync.WaitGroup
		for i, hub := range hubs { // both replicas sweep at once
			wg.Go(func() { call(t, roots[i], "POST", hub.URL+"/api/v1/admin/cull", map[string]any{}) })
		}
		wg.Wait()
		for _, n := range names {
			if phaseOf(t, alice, hubs[1].URL, "alice", n) != "stopped" {
				return false
			}
		}
		return true
	})
	for _, n := range names {
		r := eventReasons(t, alice, hubs[1].URL, "alice", n)
		if count(r, "CullWarning") != 1 || count(r, "Culled") != 1 || count(r, "Stopped") != 1 {
			t.Errorf("%s: events %v, want one CullWarning, one Culled, one Stopped", n, r)
		}
	}
}

// TestCullTellsAnOpenTabFromAPerson: through spawnhub, a real Jupyter whose
// only traffic is what an open tab sends (websocket pings,
// kernel_info_requests as on page loads, polling of api/kernels,
// api/sessions and api/contents) is warned, then culled; one where the
// person runs cells keeps running, its last activity named after the
// kernel (python3).
func TestCullTellsAnOpenTabFromAPerson(t *testing.T) {
	requireTool(t, "jupyter-notebook")
	var alice *http.Client
	hub := startSpawnhub(t, spawnhubEnv{env: append([]string{
		"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + t.TempDir()},
		cullingEnv(20*time.Second, 6*time.Second)...),
		beforeStop: func(base string) { stopAllServers(t, alice, base, "alice") }})
	alice = login(t, hub.URL, "alice")
	root := login(t, hub.URL, "root")
	token := apiToken(t, alice, hub.URL)
	servers := map[string]*websocket.Conn{}
	for _, name := range []string{"tab", "person"} {
		mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/servers",
			map[string]any{"name": name, "image": "jupyter-notebook"})
		waitRunning(t, alice, hub.URL, "alice", name)
		servers[name] = openKernel(t, workspaceBase(hub.URL, "alice", name), token)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(stop); wg.Wait() })
	wg.Go(func() { openTab(t, stop, servers["tab"], workspaceBase(hub.URL, "alice", "tab"), token) })
	wg.Go(func() { person(stop, servers["person"]) })
	poll.Until(t, 30*time.Second, "the person's cells recorded", func() bool { // activity is flushed every 5 s
		return mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/namespaces/alice/servers/person", nil)["lastActivitySource"] == "kernel:python3"
	})

	var last map[string]any
	poll.Until(t, 60*time.Second, "the open tab's server culled", func() bool {
		call(t, root, "POST", hub.URL+"/api/v1/admin/cull", map[string]any{})
		last = mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/namespaces/alice/servers/tab", nil)
		return last["phase"] == "stopped"
	})
	if t.Failed() {
		t.Logf("tab: last activity %v (%v), cullAt %v; culler's log:\n%s", last["lastActivity"], last["lastActivitySource"], last["cullAt"], cullerLog(hub))
	}
	r := eventReasons(t, alice, hub.URL, "alice", "tab")
	warned, culled := -1, -1
	for i, reason := range r {
		switch reason {
		case "CullWarning":
			warned = i
		case "Culled":
			culled = i
		}
	}
	if warned < 0 || culled < warned {
		t.Errorf("events of the open tab's server = %v, want a CullWarning before Culled", r)
	}
	person := mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/namespaces/alice/servers/person", nil)
	rp := eventReasons(t, alice, hub.URL, "alice", "person")
	if person["phase"] != "running" || person["lastActivitySource"] != "kernel:python3" || count(rp, "CullWarning") != 0 {
		ev := mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/namespaces/alice/servers/person/events", nil)
		t.Errorf("the person's server = phase %v, source %v at %v, events %v; want running, kernel, never warned",
			person["phase"], person["lastActivitySource"], person["lastActivity"], ev["items"])
	}
}

// openTab sends what an open but unused JupyterLab tab sends, until stop.
func openTab(t *testing.T, stop <-chan struct{}, ws *websocket.Conn, base, token string) {
	c := bearerClient(token)
	info := map[string]any{
		"header":        map[string]any{"msg_id": "i", "msg_type": "kernel_info_request", "session": "s", "username": "e2e", "version": "5.3"},
		"parent_header": map[string]any{}, "metadata": map[string]any{}, "content": map[string]any{}, "channel": "shell",
	}
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		_ = ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
		_ = ws.WriteJSON(info)
		for _, p := range []string{"/api/kernels", "/api/sessions", "/api/contents?content=1"} {
			if res, err := c.Get(base + p); err == nil {
				res.Body.Close()
			}
		}
	}
}

// person runs a cell every half second, until stop.
func person(stop <-chan struct{}, ws *websocket.Conn) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	go func() { // drains the kernel's replies; ends when the websocket closes
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		_, msg := executeRequest("1 + 1")
		_ = ws.WriteJSON(msg)
	}
}

// cullerLog is what the culler logged.
func cullerLog(in *instance) string {
	var out []string
	for _, l := range strings.Split(in.logs.String(), "\n") {
		if strings.Contains(l, "cull") || strings.Contains(l, "probe") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
