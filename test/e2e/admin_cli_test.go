package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/test/poll"
)

// adminCLI runs `spawnhub admin …` against base with token; it returns the
// output and whether the command succeeded.
func adminCLI(t *testing.T, base, token string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"admin"}, args...)...)
	cmd.Args = append(cmd.Args[:3], append([]string{"--url", base}, cmd.Args[3:]...)...)
	cmd.Env = append(os.Environ(), "SPAWNHUB_TOKEN="+token)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err == nil
}

// tokenOf mints an API token of the signed-in user with scopes.
func tokenOf(t *testing.T, c *http.Client, base string, scopes ...string) string {
	t.Helper()
	body := map[string]any{"name": "cli", "expiresIn": "1h"}
	if scopes != nil {
		body["scopes"] = scopes
	}
	return mustCall(t, c, http.StatusCreated, "POST", base+"/api/v1/tokens", body)["token"].(string)
}

// TestAdminCLI drives `spawnhub admin servers|stop|cull|usage` against a
// real `spawnhub serve`: listing idle servers as a table and as JSON, a
// dry run that stops nothing, a stop of a filter and of a list, a cull dry
// run, usage; tokens without the admin scope fail every command.
func TestAdminCLI(t *testing.T) {
	var alice *http.Client
	hub := startSpawnhub(t, spawnhubEnv{config: demoOnlyConfig, env: append([]string{
		"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + t.TempDir()},
		cullingEnv(time.Hour, 10*time.Minute)...),
		beforeStop: func(base string) { stopAllServers(t, alice, base, "alice") }})
	alice = login(t, hub.URL, "alice")
	root := login(t, hub.URL, "root")
	var names []string
	for range 3 {
		srv := mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "demo"})
		names = append(names, srv["name"].(string))
		waitRunning(t, alice, hub.URL, "alice", names[len(names)-1])
	}
	admin := tokenOf(t, root, hub.URL, "servers", "admin")

	var page struct {
		Items []struct {
			Namespace, Name, Phase, Owner string
		}
		Totals struct{ Servers int }
	}
	poll.Until(t, 30*time.Second, "three servers idle for a second", func() bool {
		out, ok := adminCLI(t, hub.URL, admin, "servers", "--idle-for", "1s", "--namespace", "alice", "-o", "json")
		return ok && json.Unmarshal([]byte(out), &page) == nil && len(page.Items) == 3
	})
	if page.Totals.Servers != 3 || page.Items[0].Owner != "alice" || page.Items[0].Phase != "running" {
		t.Errorf("servers -o json = %+v, want 3 running servers of alice", page)
	}
	table, ok := adminCLI(t, hub.URL, admin, "servers", "--idle-for", "1s")
	if !ok || !strings.Contains(table, "NAMESPACE") || !strings.Contains(table, "LAST ACTIVITY") ||
		!strings.Contains(table, names[0]) || !strings.Contains(table, "3 servers: 3 CPUs") {
		t.Errorf("servers table:\n%s", table)
	}

	out, ok := adminCLI(t, hub.URL, admin, "stop", "--dry-run", "--filter", "namespace=alice,idleFor=1s")
	if !ok || !strings.Contains(out, "3 servers would stop") || strings.Count(out, "would stop") != 4 {
		t.Errorf("stop --dry-run:\n%s", out)
	}
	for _, n := range names {
		if p := phaseOf(t, alice, hub.URL, "alice", n); p != "running" {
			t.Errorf("after the dry run %s is %v, want running", n, p)
		}
	}
	out, ok = adminCLI(t, hub.URL, admin, "stop", "alice/"+names[0])
	if !ok || !strings.Contains(out, "1 servers stopped") || phaseOf(t, alice, hub.URL, "alice", names[0]) != "stopped" {
		t.Errorf("stop alice/%s:\n%s", names[0], out)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(admin+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, ok = adminCLI(t, hub.URL, "", "stop", "--token-file", tokenFile, "--filter", "namespace=alice,phase=running")
	if !ok || !strings.Contains(out, "2 servers stopped") {
		t.Errorf("stop --filter with --token-file:\n%s", out)
	}
	for _, n := range names {
		if p := phaseOf(t, alice, hub.URL, "alice", n); p != "stopped" {
			t.Errorf("after the stop %s is %v, want stopped", n, p)
		}
	}
	out, ok = adminCLI(t, hub.URL, admin, "stop", "alice/nope")
	if ok || !strings.Contains(out, "error") {
		t.Errorf("stop of an unknown server succeeded:\n%s", out)
	}
	if out, ok = adminCLI(t, hub.URL, admin, "cull", "--dry-run"); !ok || !strings.Contains(out, "dry run") {
		t.Errorf("cull --dry-run:\n%s", out)
	}
	var usage struct{ Total struct{ Runs int } }
	out, ok = adminCLI(t, hub.URL, admin, "usage", "-o", "json")
	if !ok || json.Unmarshal([]byte(out), &usage) != nil || usage.Total.Runs != 3 {
		t.Errorf("usage -o json: %s", out)
	}
	if out, ok = adminCLI(t, hub.URL, admin, "usage"); !ok || !strings.Contains(out, "CPU-HOURS") || !strings.Contains(out, "alice") {
		t.Errorf("usage table:\n%s", out)
	}

	refused := map[string]string{
		"an administrator's servers-only token": tokenOf(t, root, hub.URL),
		"a user's token":                        tokenOf(t, alice, hub.URL),
		"no token":                              "",
		"a made-up token":                       "shp_" + strings.Repeat("x", 43),
	}
	for who, tok := range refused {
		for _, args := range [][]string{{"servers"}, {"stop", "--filter", "namespace=alice"}, {"cull", "--dry-run"}, {"usage"}} {
			if out, ok := adminCLI(t, hub.URL, tok, args...); ok {
				t.Errorf("admin %v with %s succeeded:\n%s", args, who, out)
			}
		}
		for _, c := range []struct{ method, path string }{
			{"GET", "/api/v1/admin/servers"}, {"POST", "/api/v1/admin/stop"}, {"GET", "/api/v1/admin/usage"}, {"POST", "/api/v1/admin/cull"},
		} {
			req, _ := http.NewRequest(c.method, hub.URL+c.path, strings.NewReader(`{"filter":{}}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with %s: %d, want 404 (or 401 without a valid token)", c.method, c.path, who, res.StatusCode)
			}
		}
	}
}
