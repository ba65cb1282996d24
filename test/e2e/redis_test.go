package e2e

import (
	"fmt"
	"github.com/spawnhub/spawnhub/test/poll"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRedisCrash: while Redis is down, workspace traffic keeps flowing
// (routes and sessions are cached in the replica); once Redis is back from
// its append-only file, nothing is lost and invalidations work again (a
// stopped server's URL no longer reaches it).
func TestRedisCrash(t *testing.T) {
	dir := t.TempDir()
	addr := startRedisServer(t, fmt.Sprintf("127.0.0.1:%d", freePort(t)), dir, true)
	var alice *http.Client
	hub := startSpawnhub(t, spawnhubEnv{config: demoOnlyConfig, env: []string{
		"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)),
		"SPAWNHUB_DATADIR=" + t.TempDir(),
		"SPAWNHUB_STORE_DRIVER=redis",
		"SPAWNHUB_STORE_REDIS_ADDR=" + addr,
		"SPAWNHUB_AUTH_SESSIONKEYS=k1:" + strings.Repeat("c", 40),
	}, beforeStop: func(base string) { stopAllServers(t, alice, base, "alice") }})
	alice = login(t, hub.URL, "alice")
	srv := mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "demo"})
	name := srv["name"].(string)
	waitRunning(t, alice, hub.URL, "alice", name)
	status := hub.URL + "/notebook/alice/" + name + "/api/status"
	mustCall(t, alice, http.StatusOK, "GET", status, nil) // fills the replica's caches

	p, _ := redisProcs.Load(addr)
	if err := p.(*os.Process).Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = p.(*os.Process).Wait()
	if got, _ := call(t, alice, "GET", status, nil); got != http.StatusOK {
		t.Errorf("workspace request while Redis is down: %d, want 200 from the cached route and session", got)
	}
	if got, _ := call(t, alice, "GET", hub.URL+"/readyz", nil); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz while Redis is down: %d, want 503", got)
	}

	startRedisServer(t, addr, dir, true)
	poll.Until(t, 30*time.Second, "spawnhub ready again", func() bool {
		got, _ := call(t, alice, "GET", hub.URL+"/readyz", nil)
		return got == http.StatusOK
	})
	got := mustCall(t, alice, http.StatusOK, "GET", hub.URL+"/api/v1/namespaces/alice/servers/"+name, nil)
	if got["phase"] != "running" {
		t.Errorf("after the Redis crash the server is %v, want running", got["phase"])
	}
	mustCall(t, alice, http.StatusAccepted, "POST", hub.URL+"/api/v1/namespaces/alice/servers/"+name+"/stop", nil)
	poll.Until(t, 30*time.Second, "the stopped server's URL answers 503", func() bool {
		got, _ := call(t, alice, "GET", status, nil)
		return got == http.StatusServiceUnavailable
	})
	hub.stop() // while the restarted Redis still runs (clean-ups run last in, first out)
}
