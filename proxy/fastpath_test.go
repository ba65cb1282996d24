package proxy

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/spawnhub/spawnhub/store"
)

// TestServeFastTakesOnlyPlainRelays holds ServeFast to FrontDoor: it
// relays what FrontDoor relays on a workspace origin, the same way, and
// leaves everything else (other origins, refusals, redirects, the sign-in
// callback, servers not running, upgrades) untouched, for FrontDoor.
func TestServeFastTakesOnlyPlainRelays(t *testing.T) {
	f := newFrontDoor(t)
	f.route("lab", httpBackend(t), store.Route{})
	cookie, token := []string{"Cookie", "spawnhub_workspace=alice-ws"}, []string{"Authorization", "Bearer alice-token"}
	for _, tt := range []struct {
		name, host, path string
		header           []string
		fast             bool
	}{
		{"the workspace origin with its cookie", "alice.ws.test", "/notebook/alice/lab/tree?a=1", cookie, true},
		{"a token on the workspace origin", "alice.ws.test", "/notebook/alice/lab/", token, true},
		{"the hub", "hub.test", "/notebook/alice/lab/", token, false},
		{"a foreign host", "evil.example", "/notebook/alice/lab/", cookie, false},
		{"no credential", "alice.ws.test", "/notebook/alice/lab/", nil, false},
		{"the hub's cookie on a workspace origin", "alice.ws.test", "/notebook/alice/lab/", []string{"Cookie", "spawnhub_session=alice-secret"}, false},
		{"another namespace", "bob.ws.test", "/notebook/alice/lab/", token, false},
		{"no slash after the server", "alice.ws.test", "/notebook/alice/lab", cookie, false},
		{"a server not running", "alice.ws.test", "/notebook/alice/off/", cookie, false},
		{"the sign-in callback", "alice.ws.test", "/_spawnhub/callback?code=good&state=s", cookie, false},
		{"an upgrade", "alice.ws.test", "/notebook/alice/lab/", append([]string{"Connection", "Upgrade", "Upgrade", "websocket"}, cookie...), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://"+tt.host+tt.path, nil)
			for i := 0; i+1 < len(tt.header); i += 2 {
				r.Header.Add(tt.header[i], tt.header[i+1])
			}
			rec := httptest.NewRecorder()
			if got := f.p.ServeFast(rec, r); got != tt.fast {
				t.Fatalf("ServeFast = %v, want %v", got, tt.fast)
			}
			if !tt.fast {
				if rec.Body.Len() > 0 || len(rec.Header()) > 0 || rec.Flushed {
					t.Fatalf("a declined request was answered: %d %v %q", rec.Code, rec.Header(), rec.Body)
				}
				return
			}
			want := f.send(http.MethodGet, tt.host, tt.path, tt.header...)
			if rec.Code != http.StatusOK || want.StatusCode != http.StatusOK {
				t.Fatalf("ServeFast answered %d, FrontDoor %d", rec.Code, want.StatusCode)
			}
			if got, want := rec.Header().Get("Content-Type"), want.Header.Get("Content-Type"); got != want {
				t.Errorf("Content-Type %q, FrontDoor's %q", got, want)
			}
		})
	}
}

// TestServeFastIgnoresPolling: on the fast path too, the route's polling
// requests are not a person's activity, and its other requests are.
func TestServeFastIgnoresPolling(t *testing.T) {
	f := newFrontDoor(t)
	f.route("lab", httpBackend(t), store.Route{Kind: "jupyter", ActivityIgnore: []string{"api/kernels"}})
	for _, tt := range []struct {
		path string
		want bool
	}{
		{"/notebook/alice/lab/api/kernels", false},
		{"/notebook/alice/lab/tree", true},
	} {
		_ = f.p.activity.take()
		r := httptest.NewRequest(http.MethodGet, "http://alice.ws.test"+tt.path, nil)
		r.Header.Set("Cookie", "spawnhub_workspace=alice-ws")
		if !f.p.ServeFast(httptest.NewRecorder(), r) {
			t.Fatalf("%s: not taken by the fast path", tt.path)
		}
		_, marked := f.p.activity.take()[store.Key{Namespace: "alice", Name: "lab"}]
		if marked != tt.want {
			t.Errorf("%s: activity marked %v, want %v", tt.path, marked, tt.want)
		}
	}
}
