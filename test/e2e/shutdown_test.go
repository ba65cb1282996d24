package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestGracefulShutdownClosesWebsockets: on SIGTERM, open websockets get a
// "going away" close frame instead of a dropped connection and the process
// exits cleanly; workspaces keep running for the next start to find.
func TestGracefulShutdownClosesWebsockets(t *testing.T) {
	var alice *http.Client
	env := spawnhubEnv{
		config:     demoOnlyConfig,
		env:        []string{"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + t.TempDir()},
		beforeStop: func(base string) { stopAllServers(t, alice, base, "alice") },
	}
	first := startSpawnhub(t, spawnhubEnv{config: env.config, env: env.env}) // no clean-up of servers: the second one does it
	alice = login(t, first.URL, "alice")
	srv := mustCall(t, alice, http.StatusCreated, "POST", first.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "demo"})
	name := srv["name"].(string)
	waitRunning(t, alice, first.URL, "alice", name)
	ws, _, err := dialWS(t, alice, first.URL, "/notebook/alice/"+name+"/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()

	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Errorf("websocket read during shutdown = %v, want close 1001 going away", err)
	}
	select {
	case <-first.done:
	case <-time.After(30 * time.Second):
		t.Fatal("spawnhub did not exit within 30s of SIGTERM")
	}
	if code := first.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0\n%s", code, first.logs.String())
	}

	second := startSpawnhub(t, env)
	mustCall(t, alice, http.StatusOK, "GET", second.URL+"/notebook/alice/"+name+"/api/status", nil)
}

// TestShutdownEndsProgressStreams: an open progress stream does not hold
// SIGTERM for the whole shutdown timeout: the stream ends, the process
// exits 0 long before the timeout.
func TestShutdownEndsProgressStreams(t *testing.T) {
	var alice *http.Client
	hub := startSpawnhub(t, spawnhubEnv{config: demoOnlyConfig, env: []string{
		"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)), "SPAWNHUB_DATADIR=" + t.TempDir(),
		"SPAWNHUB_SHUTDOWNTIMEOUT=2m",
	}})
	alice = login(t, hub.URL, "alice")
	srv := mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "demo"})
	name := srv["name"].(string)
	waitRunning(t, alice, hub.URL, "alice", name)
	mustCall(t, alice, http.StatusAccepted, "POST", hub.URL+"/api/v1/namespaces/alice/servers/"+name+"/stop", nil)

	streaming := make(chan struct{})
	ended := make(chan struct{})
	go func() { // ends when the stream does
		defer close(ended)
		readSSE(context.Background(), t, alice, hub.URL+"/api/v1/namespaces/alice/servers/"+name+"/progress", func(string, string) bool {
			select {
			case <-streaming:
			default:
				close(streaming)
			}
			return true
		})
	}()
	<-streaming
	if err := hub.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hub.done:
	case <-time.After(20 * time.Second): // a bound far from both: the fix exits at once, the stream alone held it 30s or more
		t.Fatal("spawnhub still waiting for the progress stream 20s after SIGTERM (its shutdown timeout is 2m)")
	}
	if code := hub.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code after SIGTERM with an open progress stream = %d, want 0", code)
	}
	<-ended
}
