package proxy

import (
	"encoding/binary"
	"net/http"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/store"
)

var labKey = store.Key{Namespace: "alice", Name: "lab"}

// sendAll writes each message through the relay and reads its echo, so
// that the proxy has read it, then returns the activity source marked for
// alice/lab since the last take ("" for none).
func sendAll(t *testing.T, h *harness, c *websocket.Conn, mt int, msgs ...[]byte) string {
	t.Helper()
	for _, m := range msgs {
		if err := c.WriteMessage(mt, m); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	return h.p.activity.take()[labKey].Source
}

func dialKind(t *testing.T, kind, path string, protocols ...string) (*harness, *websocket.Conn) {
	t.Helper()
	h := newHarness(t)
	h.route("lab", newWSBackend(t).Server, store.Route{Kind: kind})
	c, _, err := h.dial("/notebook/alice/lab"+path, nil, protocols...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = h.p.activity.take()
	return h, c
}

func TestKernelMessagesActivity(t *testing.T) {
	h, c := dialKind(t, "jupyter", "/api/kernels/k1/channels?session_id=s")
	info := `{"header":{"msg_id":"1","msg_type":"kernel_info_request","session":"s"},"parent_header":{},"content":{},"channel":"shell"}`
	comm := `{"channel":"shell","content":{},"header": {"msg_type" : "comm_info_request"}}`
	if got := sendAll(t, h, c, websocket.TextMessage, []byte(info), []byte(comm)); got != "" {
		t.Errorf("activity after kernel_info_request and comm_info_request = %q, want none", got)
	}
	// A person's code that mentions msg_type is escaped in JSON: not a key.
	exec := `{"content":{"code":"print(\"msg_type\")"},"header":{"msg_id":"2","msg_type":"execute_request"}}`
	if got := sendAll(t, h, c, websocket.TextMessage, []byte(exec)); got != store.SourceKernel {
		t.Errorf("activity after execute_request = %q, want %q", got, store.SourceKernel)
	}
}

// v1Message frames a Jupyter message as v1.kernel.websocket.jupyter.org
// does: the number of offsets, the offsets, then channel, header,
// parent_header, metadata, content.
func v1Message(msgType string) []byte {
	parts := []string{"shell", `{"msg_id":"1","msg_type":"` + msgType + `"}`, "{}", "{}", "{}"}
	n := len(parts) + 1
	out := binary.LittleEndian.AppendUint64(nil, uint64(n))
	at := 8 * (n + 1)
	for _, p := range parts {
		out = binary.LittleEndian.AppendUint64(out, uint64(at))
		at += len(p)
	}
	out = binary.LittleEndian.AppendUint64(out, uint64(at))
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestKernelBinaryProtocolActivity(t *testing.T) {
	h, c := dialKind(t, "jupyter", "/api/kernels/k1/channels", "v1.kernel.websocket.jupyter.org")
	if got := sendAll(t, h, c, websocket.BinaryMessage, v1Message("kernel_info_request")); got != "" {
		t.Errorf("activity after a v1 kernel_info_request = %q, want none", got)
	}
	if got := sendAll(t, h, c, websocket.BinaryMessage, v1Message("complete_request")); got != store.SourceKernel {
		t.Errorf("activity after a v1 complete_request = %q, want %q", got, store.SourceKernel)
	}
}

func TestTerminalActivity(t *testing.T) {
	h, c := dialKind(t, "jupyter", "/terminals/websocket/1")
	if got := sendAll(t, h, c, websocket.TextMessage, []byte(`["set_size",24,80,600,800]`)); got != "" {
		t.Errorf("activity after set_size = %q, want none", got)
	}
	if got := sendAll(t, h, c, websocket.TextMessage, []byte(`["stdin","ls\r"]`)); got != store.SourceTerminal {
		t.Errorf("activity after stdin = %q, want %q", got, store.SourceTerminal)
	}
}

// rfbClientStart is a viewer's half of the RFB handshake (3.8, security
// None, shared) and what noVNC sends next: SetEncodings and a
// FramebufferUpdateRequest.
func rfbClientStart() []byte {
	b := []byte("RFB 003.008\n")
	b = append(b, 1, 1)                                                       // security None; ClientInit shared
	b = append(b, 2, 0, 0, 3, 0, 0, 0, 7, 0, 0, 0, 0, 0xff, 0xff, 0xfe, 0xc0) // SetEncodings ×3
	return append(b, fbUpdateRequest()...)
}

func fbUpdateRequest() []byte { return []byte{3, 1, 0, 0, 0, 0, 0x04, 0, 0x03, 0} }

// splitEvery cuts b into pieces of n bytes: RFB crosses websocket frames
// anywhere.
func splitEvery(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}

func TestDesktopActivityAcrossFrames(t *testing.T) {
	h, c := dialKind(t, "desktop", "/websockify", "binary")
	if got := sendAll(t, h, c, websocket.BinaryMessage, splitEvery(rfbClientStart(), 5)...); got != "" {
		t.Errorf("activity after the handshake and a FramebufferUpdateRequest = %q, want none", got)
	}
	var idle []byte
	for range 50 {
		idle = append(idle, fbUpdateRequest()...)
	}
	if got := sendAll(t, h, c, websocket.BinaryMessage, splitEvery(idle, 7)...); got != "" {
		t.Errorf("activity after 50 FramebufferUpdateRequests = %q, want none", got)
	}
	pointer := []byte{5, 0, 0x01, 0x10, 0x00, 0x20}
	if got := sendAll(t, h, c, websocket.BinaryMessage, append(fbUpdateRequest(), pointer[:2]...), pointer[2:]); got != store.SourceMouse {
		t.Errorf("activity after a PointerEvent across two frames = %q, want %q", got, store.SourceMouse)
	}
	key := []byte{4, 1, 0, 0, 0, 0, 0xff, 0x0d}
	if got := sendAll(t, h, c, websocket.BinaryMessage, key[:3], key[3:]); got != store.SourceKeyboard {
		t.Errorf("activity after a KeyEvent = %q, want %q", got, store.SourceKeyboard)
	}
	cut := append([]byte{6, 0, 0, 0, 0, 0, 0, 10}, "keyEvents!"...) // ClientCutText whose text holds 4s and 5s
	if got := sendAll(t, h, c, websocket.BinaryMessage, cut, fbUpdateRequest()); got != "" {
		t.Errorf("activity after ClientCutText = %q, want none", got)
	}
}

func TestGenericKindDataFramesAreActivity(t *testing.T) {
	h, c := dialKind(t, "rstudio", "/ws")
	if got := sendAll(t, h, c, websocket.TextMessage, []byte("anything")); got != store.SourceSocket {
		t.Errorf("activity after a data frame = %q, want %q", got, store.SourceSocket)
	}
}

func TestPollingRequestsAreNotActivity(t *testing.T) {
	h := newHarness(t)
	backend := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	h.route("lab", backend, store.Route{Kind: "jupyter", ActivityIgnore: []string{"api/kernels", "api/contents/**", "POST events/get_events"}})
	for _, tt := range []struct {
		method, path, want string
	}{
		{"GET", "api/kernels", ""},
		{"GET", "api/contents/notes/a.ipynb?content=0", ""},
		{"GET", "api/contents?content=1", ""},
		{"POST", "events/get_events", ""},
		{"PUT", "api/contents/notes/a.ipynb", store.SourceRequest},
		{"GET", "api/kernels/k1/extra", store.SourceRequest},
		{"GET", "lab", store.SourceRequest},
	} {
		_ = h.p.activity.take()
		req, _ := http.NewRequest(tt.method, h.srv.URL+"/notebook/alice/lab/"+tt.path, nil)
		req.Header.Set("Authorization", "Bearer alice-secret")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := h.p.activity.take()[labKey].Source; got != tt.want {
			t.Errorf("%s %s: activity %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}
