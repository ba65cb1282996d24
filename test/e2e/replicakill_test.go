package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/test/poll"
)

// replicaKillConfig offers Jupyter from Debian and a demo server that
// hangs while starting when the replica that launched it is the one whose
// pid is in %[1]s: its starts are in flight on that replica until it dies.
// Two starts at a time per replica and per image across replicas, so that
// more wait in the queue while A holds its two.
const replicaKillConfig = `
spawner:
  maxConcurrentStarts: 2
  maxStartsPerPool: 2
  images:
    - id: jupyter-notebook
      kind: jupyter
      default: true
      readyPath: api/status
      command: ["/usr/bin/python3", "-m", "notebook", "--no-browser", "--allow-root", "--ip={{.Host}}", "--port={{.Port}}",
                "--NotebookApp.base_url={{.BaseURL}}", "--NotebookApp.allow_remote_access=True", "--notebook-dir={{.Home}}"]
    - id: hangs-on-a
      kind: demo
      command: ["/bin/sh", "-c", 'test "$PPID" = "$(cat %[1]s)" && exec sleep 600; exec "$0" demo-server --listen "$1" --base-url "$2" --token-env SPAWNHUB_DEMO_TOKEN',
                "{{.Executable}}", "{{.Host}}:{{.Port}}", "{{.BaseURL}}"]
`

// TestReplicaKilledDuringKernelWebsocket: two replicas behind one load
// balancer, on one Redis, sharing the data folder of their machine.
// Replica A starts a real Jupyter server; through A, a kernel websocket
// sets x = 6 and prints x*7; two starts hang in A's slots and two more wait
// in the queue (the image's pool is full) while B runs; then A is killed
// with SIGKILL. The websocket drops; the client reconnects through B with
// the workspace cookie it already had (no new sign-in), finds the same
// kernel with x still defined and gets 42; its hub session works through
// B; and all four starts reach Running through B, the two A had claimed
// once their claims expire.
func TestReplicaKilledDuringKernelWebsocket(t *testing.T) {
	requireTool(t, "jupyter-notebook")
	redisAddr := startRedis(t)
	lb := startBalancer(t)
	hubURL := fmt.Sprintf("http://127.0.0.1:%d", lb.Port())
	dataDir, hangFile := t.TempDir(), readableFile(t)
	users := []string{"alice", "bob", "carol", "dave", "erin"}
	clients := map[string]*http.Client{}
	stopAll := func(string) { // through the balancer, to whichever replica lives
		for ns, c := range clients {
			stopAllServers(t, c, hubURL, ns)
		}
	}
	replica := func() spawnhubEnv {
		return spawnhubEnv{config: fmt.Sprintf(replicaKillConfig, hangFile), beforeStop: stopAll, env: []string{
			"SPAWNHUB_LISTEN=127.0.0.1:" + strconv.Itoa(freePort(t)),
			"SPAWNHUB_PUBLICURL=" + hubURL,
			"SPAWNHUB_WORKSPACEURL=" + fmt.Sprintf("http://{ns}.localhost:%d", lb.Port()),
			"SPAWNHUB_DATADIR=" + dataDir,
			"SPAWNHUB_STORE_DRIVER=redis",
			"SPAWNHUB_STORE_REDIS_ADDR=" + redisAddr,
			"SPAWNHUB_AUTH_SESSIONKEYS=k1:" + strings.Repeat("k", 40),
		}}
	}
	a := startSpawnhub(t, replica())
	t.Cleanup(func() { logIfFailed(t, "replica A", a) })
	lb.add(a.URL)
	if err := os.WriteFile(hangFile, []byte(strconv.Itoa(a.cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		clients[u] = login(t, hubURL, u)
	}
	alice := clients["alice"]

	// Through A: a Jupyter server, a kernel, its websocket, some state.
	name := launchImage(t, alice, hubURL, "jupyter-notebook")
	prefix := "/notebook/alice/" + name + "/"
	kernel := mustCall(t, alice, http.StatusCreated, "POST", hubURL+prefix+"api/kernels", map[string]string{"name": "python3"})
	id := kernel["id"].(string)
	channels := prefix + "api/kernels/" + id + "/channels"
	ws, _, err := dialWS(t, alice, hubURL, channels)
	if err != nil {
		t.Fatalf("kernel websocket through replica A: %v", err)
	}
	defer ws.Close()
	if got := runPython(t, ws, "x = 6\nprint(x * 7)"); strings.TrimSpace(got) != "42" {
		t.Fatalf("the kernel printed %q, want 42", got)
	}
	origin := workspaceOrigin(hubURL, "alice")
	cookie := sessionCookie(alice, origin)

	inFlight := launchInFlight(t, clients, hubURL, users[1:])
	b := startSpawnhub(t, replica())
	lb.add(b.URL) // after A: new connections still go to A
	if got := phases(t, clients, hubURL, inFlight); got["starting"] != 2 || got["queued"] != 2 {
		t.Fatalf("with B running, the starts are %v, want 2 starting on A and 2 queued", got)
	}

	lb.remove(a.URL) // what the balancer's health check will conclude
	a.kill()
	killed := time.Now()

	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, _, err := ws.ReadMessage()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the kernel websocket through the killed replica stayed open")
		}
		if err != nil {
			break // dropped, as the client sees a dead replica
		}
	}
	again, res, err := websocketDialer.Dial("ws"+strings.TrimPrefix(origin, "http")+channels,
		http.Header{"Cookie": {cookie}, "Origin": {origin}})
	if err != nil {
		t.Fatalf("reconnect through replica B with the same workspace session: %v (response %v)", err, res)
	}
	defer again.Close()
	if got := executeOnKernel(t, again, "x * 7"); got != "42" {
		t.Errorf("x * 7 on the kernel after the reconnect = %q, want 42", got)
	}
	same := mustCall(t, alice, http.StatusOK, "GET", origin+prefix+"api/kernels/"+id, nil)
	if same["id"] != id {
		t.Errorf("the kernel through replica B is %v, want %s", same["id"], id)
	}
	mustCall(t, alice, http.StatusOK, "GET", hubURL+"/api/v1/me", nil)

	for ns, server := range inFlight {
		poll.Until(t, 90*time.Second, ns+"'s start in flight running through B", func() bool {
			_, out := call(t, clients[ns], "GET", hubURL+"/api/v1/namespaces/"+ns+"/servers/"+server, nil)
			if out["phase"] == "failed" {
				t.Fatalf("%s/%s failed: %v", ns, server, out["message"])
			}
			return out["phase"] == "running"
		})
		mustCall(t, clients[ns], http.StatusOK, "GET", hubURL+"/notebook/"+ns+"/"+server+"/api/status", nil)
	}
	t.Logf("the starts in flight all ran through B %v after the kill (a dead replica's claims expire after 15 s)", time.Since(killed).Round(time.Millisecond))
}

// launchInFlight launches the image that hangs on A for each user, and
// waits until A has taken as many as its slots hold and the others wait in
// the queue. It returns the servers, by namespace.
func launchInFlight(t *testing.T, clients map[string]*http.Client, hubURL string, users []string) map[string]string {
	t.Helper()
	servers := map[string]string{}
	for _, ns := range users {
		srv := mustCall(t, clients[ns], http.StatusCreated, "POST", hubURL+"/api/v1/namespaces/"+ns+"/launch", map[string]string{"image": "hangs-on-a"})
		servers[ns] = srv["name"].(string)
	}
	poll.Until(t, 30*time.Second, "two starts on replica A, the others queued", func() bool {
		got := phases(t, clients, hubURL, servers)
		return got["starting"] == 2 && got["queued"] == len(users)-2
	})
	return servers
}

// phases counts the servers (by namespace) in each phase.
func phases(t *testing.T, clients map[string]*http.Client, hubURL string, servers map[string]string) map[any]int {
	t.Helper()
	count := map[any]int{}
	for ns, server := range servers {
		_, out := call(t, clients[ns], "GET", hubURL+"/api/v1/namespaces/"+ns+"/servers/"+server, nil)
		count[out["phase"]]++
	}
	return count
}

// readableFile is the path of a file, not yet written, that the account
// servers run as may read.
func readableFile(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "hangs-under")
}

// logIfFailed shows the logs of a replica that will not show them itself
// (a killed one).
func logIfFailed(t *testing.T, what string, in *instance) {
	if t.Failed() {
		t.Logf("%s logs:\n%s", what, in.logs.String())
	}
}
