package demo

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	h, err := Handler(Options{BaseURL: "/notebook/a/b/", Token: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func TestTokenRequired(t *testing.T) {
	ts := newServer(t)
	for _, tt := range []struct {
		name, path, auth string
		want             int
	}{
		{"no token", "/notebook/a/b/api/status", "", 403},
		{"wrong token", "/notebook/a/b/api/status", "token nope", 403},
		{"header token", "/notebook/a/b/api/status", "token secret", 200},
		{"query token", "/notebook/a/b/api/status?token=secret", "", 200},
		{"page", "/notebook/a/b/some/page", "token secret", 200},
		{"outside base", "/other/", "token secret", 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", ts.URL+tt.path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.want)
			}
		})
	}
}

func TestWebsocketEcho(t *testing.T) {
	ts := newServer(t)
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/notebook/a/b/ws?token=secret"
	d := websocket.Dialer{Subprotocols: []string{"binary"}}
	c, resp, err := d.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := resp.Header.Get("Sec-Websocket-Protocol"); got != "binary" {
		t.Errorf("subprotocol = %q, want binary", got)
	}
	for _, m := range []struct {
		typ  int
		data string
	}{{websocket.TextMessage, "hello"}, {websocket.BinaryMessage, "\x00\x01"}} {
		if err := c.WriteMessage(m.typ, []byte(m.data)); err != nil {
			t.Fatal(err)
		}
		typ, got, err := c.ReadMessage()
		if err != nil || typ != m.typ || string(got) != m.data {
			t.Errorf("echo = %d %q %v, want %d %q", typ, got, err, m.typ, m.data)
		}
	}
	if _, _, err := websocket.DefaultDialer.Dial(strings.Replace(url, "secret", "bad", 1), nil); err == nil {
		t.Error("websocket with a bad token was accepted")
	}
}

func TestMainNeedsToken(t *testing.T) {
	err := Main(t.Context(), []string{"--listen", "127.0.0.1:0"}, func(string) string { return "" }, nil)
	if err == nil || !strings.Contains(err.Error(), "SPAWNHUB_DEMO_TOKEN") {
		t.Errorf("Main without token = %v, want an error naming the variable", err)
	}
}
