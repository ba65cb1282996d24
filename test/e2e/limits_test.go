package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// limitsConfig is the demo image with small limits, and a smaller one for
// bob's namespace.
const limitsConfig = demoOnlyConfig + `  limits:
    workspaceSize: {min: 1Gi, max: 32Gi, default: 4Gi}
    volumeSize: {min: 1Gi, max: 64Gi, default: 4Gi}
quotas:
  servers: 3
  runningServers: 2
  dataVolumesPerServer: 2
  storage: 20Gi
  tokensPerUser: 2
  namespaces:
    bob: {servers: 1}
`

// refusedByLimit sends a request in English and in French and checks the
// refusal: the status, the field, the code naming the limit, and a message
// in each language that names it.
func refusedByLimit(t *testing.T, c *http.Client, method, u string, body any, status int, field, code string, mentions ...string) {
	t.Helper()
	var msgs []string
	for _, lang := range []string{"en", "fr"} {
		got, out := callLang(t, c, lang, method, u, body)
		if got != status || out["code"] != code {
			t.Fatalf("%s %s (%s) = %d %v, want %d %s", method, u, lang, got, out, status, code)
		}
		if f, _ := out["field"].(string); f != field {
			t.Errorf("%s %s (%s): field %q, want %q", method, u, lang, f, field)
		}
		msg, _ := out["error"].(string)
		msgs = append(msgs, msg)
	}
	if !strings.Contains(msgs[0], "limit") || !strings.Contains(msgs[1], "limite") {
		t.Errorf("messages %q: want the limit named in English and in French", msgs)
	}
	for _, m := range mentions {
		if !strings.Contains(msgs[0], m) || !strings.Contains(msgs[1], m) {
			t.Errorf("messages %q: want both to mention %q", msgs, m)
		}
	}
}

// tokenIDs lists the caller's tokens.
func tokenIDs(t *testing.T, c *http.Client, base string) []string {
	t.Helper()
	var ids []string
	for _, it := range mustCall(t, c, http.StatusOK, "GET", base+"/api/v1/tokens", nil)["items"].([]any) {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	return ids
}

// TestLimitsRefuseAndCreateNothing: each limit refuses, in English and in
// French, naming the limit, and leaves the servers, volumes and tokens as
// they were.
func TestLimitsRefuseAndCreateNothing(t *testing.T) {
	clients := map[string]*http.Client{}
	hub := startSpawnhub(t, spawnhubEnv{
		config: limitsConfig,
		env:    []string{"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + t.TempDir()},
		beforeStop: func(base string) {
			for ns, c := range clients {
				stopAllServers(t, c, base, ns)
			}
		},
	})
	alice, bob := login(t, hub.URL, "alice"), login(t, hub.URL, "bob")
	clients["alice"], clients["bob"] = alice, bob
	api := hub.URL + "/api/v1/namespaces/alice"
	state := func() string {
		return fmt.Sprint(names(t, alice, api+"/servers"), names(t, alice, api+"/volumes"), tokenIDs(t, alice, hub.URL))
	}
	for _, name := range []string{"s1", "s2"} {
		mustCall(t, alice, http.StatusCreated, "POST", api+"/servers", map[string]any{"name": name, "image": "demo"})
		waitRunning(t, alice, hub.URL, "alice", name)
	}

	before := state()
	refusedByLimit(t, alice, "POST", api+"/servers", map[string]any{"name": "s3", "image": "demo"}, 409, "", "quota.runningServers", "alice", "2")
	refusedByLimit(t, alice, "POST", api+"/launch", map[string]any{"image": "demo"}, 409, "", "quota.runningServers")
	three := []any{map[string]any{"new": map[string]any{}}, map[string]any{"new": map[string]any{}}, map[string]any{"new": map[string]any{}}}
	refusedByLimit(t, alice, "POST", api+"/servers", map[string]any{"name": "s3", "image": "demo", "dataVolumes": three},
		422, "dataVolumes", "quota.dataVolumesPerServer", "2")
	if got := state(); got != before {
		t.Errorf("after refusals: %s, want %s", got, before)
	}

	mustCall(t, alice, http.StatusAccepted, "POST", api+"/servers/s2/stop", nil)
	mustCall(t, alice, http.StatusCreated, "POST", api+"/servers", map[string]any{"name": "s3", "image": "demo"})
	waitRunning(t, alice, hub.URL, "alice", "s3")
	before = state()
	refusedByLimit(t, alice, "POST", api+"/servers/s2/start", nil, 409, "", "quota.runningServers")
	refusedByLimit(t, alice, "POST", api+"/servers", map[string]any{"name": "s4", "image": "demo"}, 409, "", "quota.servers", "3")
	refusedByLimit(t, alice, "POST", api+"/launch", map[string]any{"image": "demo", "new": true}, 409, "", "quota.servers")
	// Three 4Gi workspaces use 12Gi of 20Gi.
	refusedByLimit(t, alice, "POST", api+"/volumes", map[string]any{"name": "big", "size": "9Gi"}, 409, "size", "quota.storage", "20Gi", "12Gi")
	refusedByLimit(t, alice, "POST", api+"/volumes", map[string]any{"name": "huge", "size": "24Gi"}, 422, "size", "quota.storage", "20Gi")
	if got := state(); got != before {
		t.Errorf("after refusals: %s, want %s", got, before)
	}
	if s2 := mustCall(t, alice, http.StatusOK, "GET", api+"/servers/s2", nil); s2["phase"] != "stopped" {
		t.Errorf("s2 after a refused start: %v, want stopped", s2["phase"])
	}

	for range 2 {
		status, out, header := postJSON(alice, hub.URL+"/api/v1/tokens", map[string]any{"name": "ci"})
		if status != http.StatusCreated || out["token"] == nil || header.Get("Cache-Control") != "no-store" {
			t.Fatalf("POST token = %d %v, Cache-Control %q; want 201 with the secret, no-store", status, out, header.Get("Cache-Control"))
		}
	}
	before = state()
	refusedByLimit(t, alice, "POST", hub.URL+"/api/v1/tokens", map[string]any{"name": "ci"}, 409, "", "quota.tokensPerUser", "2")
	if got := state(); got != before {
		t.Errorf("after a refused token: %s, want %s", got, before)
	}

	bobAPI := hub.URL + "/api/v1/namespaces/bob"
	mustCall(t, bob, http.StatusCreated, "POST", bobAPI+"/launch", map[string]any{"image": "demo"})
	refusedByLimit(t, bob, "POST", bobAPI+"/launch", map[string]any{"image": "demo"}, 409, "", "quota.servers", "bob", "1")
	if got := names(t, bob, bobAPI+"/servers"); len(got) != 1 {
		t.Errorf("bob's servers = %v, want the one his namespace's limit allows", got)
	}
}

// postJSON is call for goroutines: it returns errors instead of failing
// the test, and the headers.
func postJSON(c *http.Client, u string, body any) (int, map[string]any, http.Header) {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", u, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return 0, map[string]any{"error": err.Error()}, nil
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out, res.Header
}

// TestLimitsHoldAcrossReplicas: two replicas on one Redis, asked at the
// same time for more servers and tokens than the limits allow, create
// exactly as many as the limits allow, and refuse the rest.
func TestLimitsHoldAcrossReplicas(t *testing.T) {
	const servers, tokens = 4, 3
	redisAddr := startRedis(t)
	env := func() spawnhubEnv {
		return spawnhubEnv{config: demoOnlyConfig + fmt.Sprintf("quotas: {servers: %d, runningServers: 0, tokensPerUser: %d}\n", servers, tokens),
			env: []string{
				"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)),
				"SPAWNHUB_DATADIR=" + t.TempDir(),
				"SPAWNHUB_STORE_DRIVER=redis",
				"SPAWNHUB_STORE_REDIS_ADDR=" + redisAddr,
				"SPAWNHUB_AUTH_SESSIONKEYS=k1:" + strings.Repeat("q", 40),
			}}
	}
	var alice *http.Client
	withCleanup := env()
	withCleanup.beforeStop = func(base string) { stopAllServers(t, alice, base, "alice") }
	a, b := startSpawnhub(t, withCleanup), startSpawnhub(t, env())
	alice = login(t, a.URL, "alice") // cookies ignore the port: the session goes to both

	race := func(n int, u func(i int) string, body func(i int) any) map[string]int {
		var mu sync.Mutex
		var wg sync.WaitGroup
		got := map[string]int{}
		for i := range n {
			wg.Go(func() {
				status, out, _ := postJSON(alice, u(i), body(i))
				mu.Lock()
				defer mu.Unlock()
				got[fmt.Sprint(status, " ", out["code"])]++
			})
		}
		wg.Wait()
		return got
	}
	replica := func(i int) string { return []string{a.URL, b.URL}[i%2] }
	got := race(16, func(i int) string { return replica(i) + "/api/v1/namespaces/alice/servers" },
		func(i int) any { return map[string]any{"name": fmt.Sprintf("r%d", i), "image": "demo"} })
	if want := map[string]int{"201 <nil>": servers, "409 quota.servers": 16 - servers}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("16 creates on two replicas: %v, want %v", got, want)
	}
	for _, base := range []string{a.URL, b.URL} {
		if list := names(t, alice, base+"/api/v1/namespaces/alice/servers"); len(list) != servers {
			t.Errorf("servers seen by %s = %v, want %d", base, list, servers)
		}
	}

	got = race(10, func(i int) string { return replica(i) + "/api/v1/tokens" }, func(int) any { return map[string]any{"name": "ci"} })
	if want := map[string]int{"201 <nil>": tokens, "409 quota.tokensPerUser": 10 - tokens}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("10 tokens on two replicas: %v, want %v", got, want)
	}
	if ids := tokenIDs(t, alice, b.URL); len(ids) != tokens || slices.Contains(ids, "") {
		t.Errorf("tokens = %v, want %d", ids, tokens)
	}
}
