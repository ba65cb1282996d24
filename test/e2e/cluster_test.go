package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/test/poll"
)

// TestLaunchConnectStopOnRedisCluster: spawnhub on a real three-master
// Redis Cluster (Debian's redis-server with --cluster-enabled, formed
// with redis-cli --cluster create): login → launch → the server answers
// through the proxy and its websocket echoes → stop → its URL answers 503.
func TestLaunchConnectStopOnRedisCluster(t *testing.T) {
	requireTool(t, "redis-cli")
	addrs := startRedisCluster(t)
	var alice *http.Client
	hub := startSpawnhub(t, spawnhubEnv{config: demoOnlyConfig, env: []string{
		"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)),
		"SPAWNHUB_DATADIR=" + t.TempDir(),
		"SPAWNHUB_STORE_DRIVER=redis",
		"SPAWNHUB_STORE_REDIS_ADDRS=" + strings.Join(addrs, ","),
		"SPAWNHUB_AUTH_SESSIONKEYS=k1:" + strings.Repeat("c", 40),
	}, beforeStop: func(base string) { stopAllServers(t, alice, base, "alice") }})
	alice = login(t, hub.URL, "alice")
	srv := mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "demo"})
	name := srv["name"].(string)
	waitRunning(t, alice, hub.URL, "alice", name)
	status := hub.URL + "/notebook/alice/" + name + "/api/status"
	mustCall(t, alice, http.StatusOK, "GET", status, nil)
	ws, _, err := dialWS(t, alice, hub.URL, "/notebook/alice/"+name+"/ws")
	if err != nil {
		t.Fatalf("websocket through the proxy: %v", err)
	}
	_ = ws.Close()
	mustCall(t, alice, http.StatusAccepted, "POST", hub.URL+"/api/v1/namespaces/alice/servers/"+name+"/stop", nil)
	poll.Until(t, 30*time.Second, "the stopped server's URL answers 503", func() bool {
		got, _ := call(t, alice, "GET", status, nil)
		return got == http.StatusServiceUnavailable
	})
	hub.stop() // before the cluster's nodes stop (clean-ups run last in, first out)
}

// startRedisCluster starts three cluster-enabled redis-servers on free
// ports whose bus ports (+10000) are free too, forms a cluster of three
// masters and waits until every node says it is ok.
func startRedisCluster(t *testing.T) []string {
	t.Helper()
	var addrs []string
	for len(addrs) < 3 {
		port := freePort(t)
		if port+10000 > 65535 {
			continue
		}
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000)); err != nil {
			continue
		} else {
			l.Close()
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "no", "--dir", t.TempDir(), "--cluster-enabled", "yes", "--cluster-node-timeout", "2000")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stopProcess(cmd.Process.Pid); _ = cmd.Wait() })
		poll.Until(t, 10*time.Second, "redis "+addr, func() bool {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		addrs = append(addrs, addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	if out, err := exec.Command("redis-cli", append(args, "--cluster-yes")...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	poll.Until(t, 30*time.Second, "the cluster is ok on every node", func() bool {
		for _, addr := range addrs {
			host, port, _ := net.SplitHostPort(addr)
			out, err := exec.Command("redis-cli", "-h", host, "-p", port, "cluster", "info").Output()
			if err != nil || !strings.Contains(string(out), "cluster_state:ok") {
				return false
			}
		}
		return true
	})
	return addrs
}
