package local

import (
	"bytes"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/spawner/form"
)

// requireDefault skips the test when the default image id is not
// installed here.
func requireDefault(t *testing.T, id string) form.Image {
	t.Helper()
	im := image(id)
	if len(AvailableImages([]form.Image{im})) == 0 {
		t.Skipf("%s is not installed", id)
	}
	return im
}

// TestDesktop starts the real desktop: noVNC's page and the VNC websocket
// answer only with the server's token, the websocket speaks RFB, and Stop
// ends every process of the desktop.
func TestDesktop(t *testing.T) {
	requireDefault(t, "desktop")
	b := newBackend(t, dataDir(t))
	srv, route := start(t, b, server("desk", "desktop"))
	if code, body := get(t, route.Target+"/vnc.html", route.Token); code != 200 || !strings.Contains(body, "noVNC") {
		t.Errorf("GET /vnc.html with token = %d, want noVNC's page", code)
	}
	if code, body := get(t, route.Target+"/", route.Token); code != 200 || !strings.Contains(body, "path=notebook/alice/desk/websockify") {
		t.Errorf("GET / with token = %d %q, want a page sending on to vnc.html with the path", code, body)
	}
	for _, path := range []string{"/", "/vnc.html", "/core/rfb.js"} {
		if code, _ := get(t, route.Target+path, ""); code != 403 {
			t.Errorf("GET %s without token = %d, want 403", path, code)
		}
	}
	wsURL := "ws" + strings.TrimPrefix(route.Target, "http") + "/websockify"
	dialer := websocket.Dialer{Subprotocols: []string{"binary"}}
	if c, _, err := dialer.Dial(wsURL, nil); err == nil {
		c.Close()
		t.Error("websocket without token connected, want refused")
	}
	c, _, err := dialer.Dial(wsURL, http.Header{"Authorization": {"token " + route.Token}})
	if err != nil {
		t.Fatalf("websocket with token: %v", err)
	}
	_, hello, err := c.ReadMessage()
	c.Close()
	if err != nil || !bytes.HasPrefix(hello, []byte("RFB 003.")) {
		t.Errorf("first websocket message = %q (%v), want the RFB version", hello, err)
	}
	pid, _, _ := parseInstance(srv.Instance)
	if ports := groupTCPListeners(t, pid); len(ports) != 1 || "http://127.0.0.1:"+strconv.Itoa(ports[0]) != route.Target {
		t.Errorf("the desktop listens on TCP ports %v, want only websockify's %s (VNC and X on Unix sockets only)", ports, route.Target)
	}
	if n := len(groupMembers(t, pid)); n < 5 {
		t.Errorf("the desktop's group has %d processes, want the session, Xvnc, openbox, xterm and websockify", n)
	}
	if err := b.Stop(t.Context(), srv); err != nil {
		t.Fatal(err)
	}
	if left := groupMembers(t, pid); len(left) > 0 {
		t.Errorf("after Stop, processes %v of the desktop's group are left", left)
	}
}

// shinySessionCloses opens a Shiny session over its websocket and reports
// whether the app closes it instead of answering its init message.
func shinySessionCloses(t *testing.T, target string, h http.Header) bool {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(target, "http")+"/websocket/", h)
	if err != nil {
		return true
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if err := c.WriteJSON(map[string]any{"method": "init", "data": map[string]any{"name": "Ada"}}); err != nil {
		return true
	}
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			return true
		}
		if bytes.Contains(msg, []byte(`"values"`)) {
			return false
		}
	}
}

// groupTCPListeners lists the TCP ports the processes of group pgid listen
// on.
func groupTCPListeners(t *testing.T, pgid int) []int {
	t.Helper()
	var ports []int
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		err := scanTCPTable(table, func(_ net.IP, port int, inode string) {
			if groupHolds(pgid, map[string]bool{inode: true}) {
				ports = append(ports, port)
			}
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	return ports
}

// groupMembers lists the live processes of process group pgid.
func groupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:])) // f[0] is field 3
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			out = append(out, pid)
		}
	}
	return out
}

// TestRImages starts the R workspaces: Jupyter offers the R kernel as its
// default, and the Shiny app answers pages and websocket sessions only
// with the server's token.
func TestRImages(t *testing.T) {
	t.Run("r-notebook", func(t *testing.T) {
		requireDefault(t, "r-notebook")
		b := newBackend(t, dataDir(t))
		_, route := start(t, b, server("rnb", "r-notebook"))
		url := route.Target + "/notebook/alice/rnb/api/kernelspecs"
		if code, body := get(t, url, route.Token); code != 200 || !strings.Contains(body, `"default": "ir"`) && !strings.Contains(body, `"default":"ir"`) {
			t.Errorf("GET %s = %d %s, want the ir kernel as default", url, code, body)
		}
	})
	t.Run("shiny", func(t *testing.T) {
		requireDefault(t, "shiny")
		b := newBackend(t, dataDir(t))
		_, route := start(t, b, server("app", "shiny"))
		if code, body := get(t, route.Target+"/", route.Token); code != 200 || !strings.Contains(body, "Hello Shiny") {
			t.Errorf("GET / with token = %d %q, want the starter app", code, body)
		}
		if code, _ := get(t, route.Target+"/", ""); code != 403 {
			t.Errorf("GET / without token = %d, want 403", code)
		}
		for _, tt := range []struct {
			header    http.Header
			wantClose bool
		}{{nil, true}, {http.Header{"Authorization": {"token " + route.Token}}, false}} {
			if closed := shinySessionCloses(t, route.Target, tt.header); closed != tt.wantClose {
				t.Errorf("Shiny session with header %v closed = %v, want %v", tt.header, closed, tt.wantClose)
			}
		}
	})
}
