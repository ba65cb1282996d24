package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Code runs in a Jupyter kernel through spawnhub with an API token: a
// bearer client has no ambient credential, so it is served on the hub
// origin as on workspace origins; workspaceBase is the one place that
// says where a server is reached.

// apiToken mints an API token with the client's session.
func apiToken(t *testing.T, c *http.Client, hubURL string) string {
	t.Helper()
	tok := mustCall(t, c, http.StatusCreated, "POST", hubURL+"/api/v1/tokens", map[string]any{"name": "e2e", "expiresIn": "1h"})
	return tok["token"].(string)
}

// workspaceBase is the URL of a server's base path for a bearer client.
func workspaceBase(hubURL, ns, server string) string {
	return hubURL + "/notebook/" + ns + "/" + server
}

// openKernel starts a python3 kernel on the server at base and opens its
// channels websocket with the token.
func openKernel(t *testing.T, base, token string) *websocket.Conn {
	t.Helper()
	k := mustCall(t, bearerClient(token), http.StatusCreated, "POST", base+"/api/kernels", map[string]string{"name": "python3"})
	u := "ws" + strings.TrimPrefix(base, "http") + "/api/kernels/" + k["id"].(string) + "/channels"
	ws, res, err := websocketDialer.Dial(u, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatalf("kernel websocket %s: %v (response %v)", u, err, res)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// runPython runs code on the kernel and returns what it printed; a Python
// exception fails the test.
func runPython(t *testing.T, ws *websocket.Conn, code string) string {
	t.Helper()
	msgID, msg := executeRequest(code)
	if err := ws.WriteJSON(msg); err != nil {
		t.Fatalf("send execute_request: %v", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(120 * time.Second))
	var out strings.Builder
	for {
		var m kernelMessage
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("read kernel reply: %v (printed so far %q)", err, out.String())
		}
		if m.ParentHeader.MsgID != msgID {
			continue
		}
		switch m.Header.MsgType {
		case "stream":
			out.WriteString(m.Content.Text)
		case "error":
			t.Fatalf("kernel: %s: %s\n%s", m.Content.Ename, m.Content.Evalue, strings.Join(m.Content.Traceback, "\n"))
		case "status":
			if m.Content.ExecutionState == "idle" {
				return out.String()
			}
		}
	}
}
