package proxy

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/test/poll"
)

// TestKernelActivityNamesTheKernel: code run through the proxy in a real
// Jupyter kernel is activity of source "kernel:python3": the proxy asks
// the server, with its token, which kernel the websocket is on.
func TestKernelActivityNamesTheKernel(t *testing.T) {
	j := startJupyter(t)
	h := newHarness(t, func(o *Options) { o.Access = allowOwner{} })
	h.routes.set("alice", "lab", store.Route{Target: "http://" + j.addr, Token: j.token, Kind: "jupyter"})
	url := "ws" + strings.TrimPrefix(h.srv.URL, "http") + jupyterBase + "api/kernels/" + j.startKernel(t) + "/channels"
	c, res, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer alice-secret"}})
	if err != nil {
		t.Fatalf("kernel websocket: %v (%v)", err, res)
	}
	t.Cleanup(func() { _ = c.Close() })
	poll.Until(t, 30*time.Second, "activity in kernel python3", func() bool {
		kernelRoundTrip(t, c, "1+1")
		return h.p.activity.take()[labKey].Source == "kernel:python3"
	})
}

// A kernel websocket on a route without a token is activity of an unnamed
// kernel; a restored mark keeps its kernel's name.
func TestKernelNameUnknownAndRestored(t *testing.T) {
	h, c := dialKind(t, "jupyter", "/api/kernels/k1/channels")
	exec := `{"header":{"msg_id":"2","msg_type":"execute_request"},"content":{}}`
	if got := sendAll(t, h, c, websocket.TextMessage, []byte(exec)); got != store.SourceKernel {
		t.Errorf("activity without a token = %q, want %q", got, store.SourceKernel)
	}
	a := newActivityLog()
	at := time.Unix(1e9, 0)
	a.restore(map[store.Key]store.Mark{labKey: {At: at, Source: "kernel:ir"}})
	if got := a.take()[labKey]; got.Source != "kernel:ir" || !got.At.Equal(at) {
		t.Errorf("restored mark = %+v, want kernel:ir at %v", got, at)
	}
}
