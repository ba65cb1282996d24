package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// call sends a JSON request and decodes the JSON answer (if any).
func call(t *testing.T, c *http.Client, method, u string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 && strings.Contains(res.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: bad JSON %q: %v", method, u, raw, err)
		}
	}
	return res.StatusCode, out
}

// mustCall is call that expects a status.
func mustCall(t *testing.T, c *http.Client, want int, method, u string, body any) map[string]any {
	t.Helper()
	got, out := call(t, c, method, u, body)
	if got != want {
		t.Fatalf("%s %s: status %d (%v), want %d", method, u, got, out, want)
	}
	return out
}

// waitRunning follows the progress stream until the server runs; it fails
// on a failed phase.
func waitRunning(t *testing.T, c *http.Client, base, ns, name string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var last map[string]any
	var events []string
	readSSE(ctx, t, c, base+"/api/v1/namespaces/"+ns+"/servers/"+name+"/progress", func(event, data string) bool {
		if event == "event" {
			events = append(events, data)
			return true
		}
		if event != "server" {
			return true
		}
		last = map[string]any{}
		if err := json.Unmarshal([]byte(data), &last); err != nil {
			t.Fatalf("progress data %q: %v", data, err)
		}
		switch last["phase"] {
		case "running":
			return false
		case "failed":
			t.Fatalf("server %s/%s failed: %v (events %v)", ns, name, last["message"], events)
		}
		return true
	})
	if len(events) == 0 {
		t.Errorf("progress stream of %s/%s carried no events", ns, name)
	}
	return last
}

// stopAllServers stops every server of the namespace; registered as a
// cleanup so that no workspace process outlives the test.
func stopAllServers(t *testing.T, c *http.Client, base, ns string) {
	status, out := call(t, c, http.MethodGet, base+"/api/v1/namespaces/"+ns+"/servers", nil)
	if status != http.StatusOK { // a workspace process would outlive the test
		t.Errorf("cannot list the servers of %s to stop them: status %d", ns, status)
		return
	}
	items, _ := out["items"].([]any)
	for _, it := range items {
		s := it.(map[string]any)
		if s["phase"] != "stopped" {
			call(t, c, http.MethodPost, base+"/api/v1/namespaces/"+ns+"/servers/"+s["name"].(string)+"/stop", nil)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		_, out := call(t, c, http.MethodGet, base+"/api/v1/namespaces/"+ns+"/servers", nil)
		busy := false
		for _, it := range out["items"].([]any) {
			if p := it.(map[string]any)["phase"]; p != "stopped" && p != "failed" {
				busy = true
			}
		}
		if !busy {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("servers of %s still not stopped after 30s", ns)
}

func decodeJSON(t *testing.T, res *http.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("decode %s: %v", res.Request.URL, err)
	}
}
