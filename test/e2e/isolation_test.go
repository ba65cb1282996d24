package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/spawnhub/spawnhub/test/poll"
)

// TestKernelCannotReadSpawnhubSecrets is a user's kernel on the local
// backend trying every way to spawnhub's secrets: its environment, its
// memory and memory map through /proc, its session key file, its
// memory-store snapshot (every server's token) and its data folder. Each
// attempt fails. The test, as root, shows that each secret is really
// there, so that the test would fail if a way were open.
func TestKernelCannotReadSpawnhubSecrets(t *testing.T) {
	requireTool(t, "/usr/bin/python3")
	requireTool(t, "jupyter-notebook")
	if os.Geteuid() != 0 {
		t.Skip("not root: spawnhub runs servers as its own account and warns at start what that leaves open")
	}
	envSecret := "redis-password-" + randomHex(16)
	dataDir := t.TempDir()
	var alice *http.Client
	hub := startSpawnhub(t, spawnhubEnv{
		env: []string{
			"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)),
			"SPAWNHUB_DATADIR=" + dataDir,
			"SPAWNHUB_STORE_REDIS_PASSWORD=" + envSecret, // a secret variable (unused by the memory store)
		},
		beforeStop: func(base string) { stopAllServers(t, alice, base, "alice") },
	})
	alice = login(t, hub.URL, "alice")
	name := mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "jupyter-notebook"})["name"].(string)
	waitRunning(t, alice, hub.URL, "alice", name)
	token := apiToken(t, alice, hub.URL)
	ws := openKernel(t, workspaceBase(hub.URL, "alice", name), token)

	sessionKey := readSessionKey(t, dataDir)
	kernelToken := strings.TrimSpace(runPython(t, ws, "import os; print(os.environ['JUPYTER_TOKEN'])"))
	snapshot := filepath.Join(dataDir, "private", "state.json")
	poll.Until(t, 30*time.Second, "the memory-store snapshot with the server's token", func() bool {
		b, err := os.ReadFile(snapshot)
		return err == nil && bytes.Contains(b, []byte(kernelToken))
	})
	hubPID := hub.cmd.Process.Pid
	proc := "/proc/" + strconv.Itoa(hubPID)
	// What root sees: the secrets exist where the kernel will look.
	if !memoryHolds(t, hubPID, sessionKey) || !memoryHolds(t, hubPID, envSecret) {
		t.Fatal("spawnhub's memory does not hold its session key and secret variable: the test would prove nothing")
	}
	environ, err := os.ReadFile(proc + "/environ")
	if err != nil || !bytes.Contains(environ, []byte("SPAWNHUB_DATADIR=")) {
		t.Fatalf("root reads %s/environ: %v; want the non-secret variables", proc, err)
	}
	if bytes.Contains(environ, []byte(envSecret)) {
		t.Errorf("%s/environ still holds SPAWNHUB_STORE_REDIS_PASSWORD after start", proc)
	}

	attempts := kernelAttempts(t, ws, map[string]string{
		"environ":     proc + "/environ",
		"maps":        proc + "/maps",
		"mem":         proc + "/mem",
		"cmdline":     proc + "/cmdline",
		"session key": filepath.Join(dataDir, "private", "session.key"),
		"snapshot":    snapshot,
		"data folder": dataDir,
		"private":     filepath.Join(dataDir, "private"),
		"own environ": "/proc/self/environ",
	}, []string{sessionKey, envSecret, kernelToken})
	for what, want := range map[string]string{
		"environ": "denied", "maps": "denied", "mem": "denied", "session key": "denied", "snapshot": "denied",
		"data folder": "denied", "private": "denied",
		"cmdline":     "read", // world-readable: it must hold no secret
		"own environ": "read, secret found",
	} {
		if got := attempts.Results[what]; got != want {
			t.Errorf("kernel reading %s: %q, want %q", what, got, want)
		}
	}
	acct, err := user.Lookup("spawnhub-server")
	if err != nil || attempts.UID != acct.Uid {
		t.Errorf("the kernel runs as uid %s, want spawnhub-server's (%v)", attempts.UID, err)
	}
}

// readSessionKey reads the development session key spawnhub generated.
func readSessionKey(t *testing.T, dataDir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dataDir, "private", "session.key"))
	if err != nil {
		t.Fatal(err)
	}
	_, secret, ok := strings.Cut(strings.TrimSpace(string(raw)), ":")
	if !ok || len(secret) < 32 {
		t.Fatalf("session key file %q", raw)
	}
	return secret
}

// memoryHolds reads the writable memory of pid through /proc (as root)
// and reports whether it holds secret.
func memoryHolds(t *testing.T, pid int, secret string) bool {
	t.Helper()
	proc := "/proc/" + strconv.Itoa(pid)
	maps, err := os.ReadFile(proc + "/maps")
	if err != nil {
		t.Fatal(err)
	}
	mem, err := os.Open(proc + "/mem")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !strings.HasPrefix(f[1], "rw") {
			continue
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		start, _ := strconv.ParseUint(lo, 16, 64)
		end, _ := strconv.ParseUint(hi, 16, 64)
		buf := make([]byte, end-start)
		n, _ := mem.ReadAt(buf, int64(start))
		if bytes.Contains(buf[:n], []byte(secret)) {
			return true
		}
	}
	return false
}

// attempts is what the kernel reports.
type attempts struct {
	UID     string            `json:"uid"`
	Results map[string]string `json:"results"`
}

// probeScript tries each path as the kernel's process: a folder is
// listed, /proc/<pid>/mem is read through the regions of maps, a file is
// read; then it looks for the secrets in what it got.
const probeScript = `
import json, os
targets, secrets = json.loads(%q), json.loads(%q)
def read(path):
    if os.path.isdir(path):
        return "\n".join(os.listdir(path)).encode()
    if path.endswith("/mem"):
        data = b""
        with open(path[:-4] + "/maps") as maps, open(path, "rb") as mem:
            for line in maps:
                lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
                if line.split()[1].startswith("rw"):
                    try:
                        mem.seek(lo); data += mem.read(hi - lo)
                    except OSError:
                        pass
        return data
    with open(path, "rb") as f:
        return f.read()
results = {}
for what, path in targets.items():
    try:
        data = read(path)
        results[what] = "read, secret found" if any(s.encode() in data for s in secrets) else "read"
    except PermissionError:
        results[what] = "denied"
    except OSError as e:
        results[what] = "error: " + e.strerror
print(json.dumps({"uid": str(os.getuid()), "results": results}))
`

func kernelAttempts(t *testing.T, ws *websocket.Conn, targets map[string]string, secrets []string) attempts {
	t.Helper()
	tj, _ := json.Marshal(targets)
	sj, _ := json.Marshal(secrets)
	out := runPython(t, ws, fmt.Sprintf(probeScript, tj, sj))
	var a attempts
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &a); err != nil {
		t.Fatalf("kernel output %q: %v", out, err)
	}
	return a
}
