package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/test/poll"
)

// echoProtocolBackend switches to a made-up "echo" protocol on request and
// then echoes bytes until the connection closes.
func echoProtocolBackend(t *testing.T) string {
	srv := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "upgrade required", http.StatusUpgradeRequired)
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(rw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		rw.Flush()
		_, _ = io.Copy(conn, rw)
	}))
	return srv.URL
}

// upgrade opens the echo protocol through the proxy as alice with the
// given Origin ("" for none) and returns the connection and the status.
func (h *harness) upgrade(t *testing.T, origin string) (net.Conn, *bufio.Reader, int) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET /notebook/alice/lab/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice-secret\r\nConnection: Upgrade\r\nUpgrade: echo\r\n"
	if origin != "" {
		req += "Origin: " + origin + "\r\n"
	}
	fmt.Fprint(conn, req+"\r\n")
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return conn, br, res.StatusCode
}

// TestOtherUpgradesAreWatchedLikeWebsockets: an upgrade to a protocol
// other than websocket is refused from a foreign origin, relayed
// otherwise, and closed when the user's access is withdrawn.
func TestOtherUpgradesAreWatchedLikeWebsockets(t *testing.T) {
	h := newHarness(t)
	h.routes.set("alice", "lab", store.Route{Target: echoProtocolBackend(t)})
	if _, _, status := h.upgrade(t, "http://evil.example"); status != http.StatusForbidden {
		t.Errorf("upgrade from a foreign origin: %d, want 403", status)
	}
	conn, br, status := h.upgrade(t, "")
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %d, want 101", status)
	}
	fmt.Fprint(conn, "ping\n")
	if line, err := br.ReadString('\n'); err != nil || line != "ping\n" {
		t.Fatalf("echo through the upgrade = %q, %v", line, err)
	}
	if n := h.p.conns.count(); n != 1 {
		t.Errorf("registered connections = %d, want 1", n)
	}
	h.access.set("alice", "alice", false)
	h.p.Recheck("alice")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadString('\n'); err == nil {
		t.Error("the upgraded connection is still open after access was withdrawn")
	}
	poll.Until(t, 10*time.Second, "the registry to forget the connection", func() bool { return h.p.conns.count() == 0 })
}
