package proxy

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/store"
)

// A real Jupyter kernel through the proxy: its replies arrive unchanged,
// and (BenchmarkKernelRoundTrip) sooner than directly, because the proxy
// acknowledges the server's small writes at once (quickack.go).

// kernelPaths are the ways to one Jupyter compared: directly (also with
// the server sending without delay, see pathFloor), and through proxies
// with and without prompt ACKs upstream.
type kernelPaths struct {
	j                      *jupyter
	quickAcks, delayedAcks *harness
}

func newKernelPaths(t testing.TB) *kernelPaths {
	t.Helper()
	k := &kernelPaths{j: startJupyter(t)}
	k.quickAcks = newHarness(t, func(o *Options) { o.Access = allowOwner{} })
	k.delayedAcks = newHarness(t, func(o *Options) { o.Access = allowOwner{}; o.DelayedAcks = true })
	for _, h := range []*harness{k.quickAcks, k.delayedAcks} {
		h.routes.set("alice", "lab", store.Route{Target: "http://" + k.j.addr, Token: k.j.token})
	}
	return k
}

// Kernel paths by name, in the order of kernelPaths.open. The floor is
// the kernel reached directly with the server sending without Nagle's
// delay: its own round trip, which no proxy can beat.
const (
	pathDirect      = "direct"
	pathQuickAcks   = "proxy"
	pathDelayedAcks = "proxy-delayed-acks"
	pathFloor       = "direct-nodelay"
)

var kernelPathNames = []string{pathDirect, pathQuickAcks, pathDelayedAcks, pathFloor}

// open starts a kernel for each path (a kernel broadcasts its output to
// every websocket on it) and opens its channels websocket on that path.
func (k *kernelPaths) open(t testing.TB) map[string]*websocket.Conn {
	t.Helper()
	out := make(map[string]*websocket.Conn)
	for _, name := range kernelPathNames {
		channels := "api/kernels/" + k.j.startKernel(t) + "/channels"
		var url string
		header := http.Header{"Authorization": {"Bearer alice-secret"}}
		switch name {
		case pathDirect:
			url, header = "ws://"+k.j.addr+jupyterBase+channels, http.Header{"Authorization": {"token " + k.j.token}}
		case pathFloor:
			url, header = "ws://"+k.j.addr+jupyterBase+channels, http.Header{"Authorization": {"token " + k.j.token}, nodelayHeader: {"1"}}
		case pathQuickAcks:
			url = "ws" + strings.TrimPrefix(k.quickAcks.srv.URL, "http") + jupyterBase + channels
		case pathDelayedAcks:
			url = "ws" + strings.TrimPrefix(k.delayedAcks.srv.URL, "http") + jupyterBase + channels
		}
		c, res, err := websocket.DefaultDialer.Dial(url, header)
		if err != nil {
			t.Fatalf("%s: kernel websocket: %v (%v)", name, err, res)
		}
		t.Cleanup(func() { _ = c.Close() })
		out[name] = c
		kernelRoundTrip(t, c, "1+1") // the kernel is up and warm
	}
	return out
}

// kernelReply is what a kernel answers one execute_request with: the raw
// JSON content of its execute_result and execute_reply, as the kernel
// serialised them (ids and dates are in headers and metadata, not here).
type kernelReply struct {
	Result, Reply json.RawMessage
}

// kernelRoundTrip sends code to the kernel and reads until the request is
// done as a notebook sees it: its execute_result, its execute_reply and
// the kernel back to idle.
func kernelRoundTrip(t testing.TB, c *websocket.Conn, code string) kernelReply {
	t.Helper()
	msgID := rand.Text()
	req := map[string]any{
		"header": map[string]any{"msg_id": msgID, "username": "test", "session": rand.Text(),
			"msg_type": "execute_request", "version": "5.3", "date": time.Now().UTC().Format(time.RFC3339)},
		"parent_header": map[string]any{}, "metadata": map[string]any{}, "channel": "shell",
		"content": map[string]any{"code": code, "silent": false, "store_history": false,
			"user_expressions": map[string]any{}, "allow_stdin": false},
	}
	if err := c.WriteJSON(req); err != nil {
		t.Fatalf("send execute_request: %v", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
	var out kernelReply
	idle := false
	for out.Result == nil || out.Reply == nil || !idle {
		var m struct {
			Header struct {
				MsgType string `json:"msg_type"`
			} `json:"header"`
			ParentHeader struct {
				MsgID string `json:"msg_id"`
			} `json:"parent_header"`
			Content json.RawMessage `json:"content"`
		}
		if err := c.ReadJSON(&m); err != nil {
			t.Fatalf("read kernel reply: %v", err)
		}
		if m.ParentHeader.MsgID != msgID {
			continue
		}
		switch m.Header.MsgType {
		case "execute_result":
			out.Result = m.Content
		case "execute_reply":
			out.Reply = m.Content
		case "status":
			idle = bytes.Contains(m.Content, []byte(`"idle"`))
		case "error":
			t.Fatalf("kernel error: %s", m.Content)
		}
	}
	return out
}

// TestKernelRepliesThroughProxy: a real kernel's replies to 1+1 arrive
// through the proxy (with prompt ACKs, and without) byte for byte as they
// arrive directly.
func TestKernelRepliesThroughProxy(t *testing.T) {
	k := newKernelPaths(t)
	conns := k.open(t)
	want := kernelRoundTrip(t, conns[pathDirect], "1+1")
	if !bytes.Contains(want.Result, []byte(`"text/plain": "2"`)) && !bytes.Contains(want.Result, []byte(`"text/plain":"2"`)) {
		t.Fatalf("direct execute_result = %s, want text/plain 2", want.Result)
	}
	t.Logf("direct: execute_result %s, execute_reply %s", want.Result, want.Reply)
	for _, name := range []string{pathQuickAcks, pathDelayedAcks} {
		for range 3 {
			if got := kernelRoundTrip(t, conns[name], "1+1"); !sameReply(got, want) {
				t.Errorf("%s: reply\n%s\n%s\nwant (direct)\n%s\n%s", name, got.Result, got.Reply, want.Result, want.Reply)
			}
		}
	}
}

func sameReply(a, b kernelReply) bool {
	return bytes.Equal(a.Result, b.Result) && bytes.Equal(a.Reply, b.Reply)
}

// BenchmarkKernelRoundTrip times a real kernel's 1+1 round trip (execute
// request to result, reply and idle) directly, through the proxy, through
// the proxy with delayed ACKs upstream, and directly with the server
// sending without Nagle's delay (the floor: the kernel's own time, which
// a loaded machine stretches), in alternation: each iteration does one on
// each path, the first path rotating. It reports each path's median and
// p90 and the ratios of the medians (proxy/floor near 1: the proxy adds
// nothing the kernel would not take anyway), and fails if a reply differs
// from the direct one. Run it with -benchtime=200x for the median of 200:
//
//	go test -run '^$' -bench KernelRoundTrip -benchtime=200x ./proxy/
func BenchmarkKernelRoundTrip(b *testing.B) {
	k := newKernelPaths(b)
	conns := k.open(b)
	want := kernelRoundTrip(b, conns[pathDirect], "1+1")
	times := make(map[string][]time.Duration)
	i := 0
	for b.Loop() {
		for n := range kernelPathNames {
			name := kernelPathNames[(i+n)%len(kernelPathNames)]
			start := time.Now()
			got := kernelRoundTrip(b, conns[name], "1+1")
			times[name] = append(times[name], time.Since(start))
			if !sameReply(got, want) {
				b.Fatalf("%s: reply %s %s, want (direct) %s %s", name, got.Result, got.Reply, want.Result, want.Reply)
			}
		}
		i++
	}
	med := make(map[string]float64)
	for _, name := range kernelPathNames {
		m, p90 := percentiles(times[name])
		med[name] = m
		b.ReportMetric(m, name+"-ms/median")
		b.ReportMetric(p90, name+"-ms/p90")
	}
	b.ReportMetric(med[pathDirect]/med[pathQuickAcks], "direct/proxy")
	b.ReportMetric(med[pathDelayedAcks]/med[pathQuickAcks], "delayed-acks/proxy")
	b.ReportMetric(med[pathQuickAcks]/med[pathFloor], "proxy/floor")
	b.Log(kernelTable(times, med))
}

// percentiles is the median and the 90th percentile, in milliseconds.
func percentiles(d []time.Duration) (median, p90 float64) {
	s := slices.Clone(d)
	slices.Sort(s)
	ms := func(q float64) float64 { return float64(s[int(q*float64(len(s)-1))]) / float64(time.Millisecond) }
	return ms(0.5), ms(0.9)
}

func kernelTable(times map[string][]time.Duration, med map[string]float64) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n| path | round trips | median ms | p90 ms | median / proxy's |\n|---|---|---|---|---|\n")
	for _, name := range kernelPathNames {
		m, p90 := percentiles(times[name])
		fmt.Fprintf(&sb, "| %s | %d | %.2f | %.2f | %.1f× |\n", name, len(times[name]), m, p90, med[name]/med[pathQuickAcks])
	}
	return sb.String()
}
