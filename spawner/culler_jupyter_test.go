package spawner

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/test/poll"
)

// realJupyter runs Debian's Jupyter Notebook on a free loopback port under
// the base URL of ns/lab, with token tok; it is stopped by pid.
func realJupyter(t *testing.T, tok string) store.Route {
	t.Helper()
	if _, err := os.Stat("/usr/bin/jupyter-notebook"); err != nil {
		t.Skip("needs Debian's jupyter-notebook")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command("/usr/bin/python3", "-m", "notebook", "--no-browser", "--allow-root", "--ip=127.0.0.1",
		fmt.Sprintf("--port=%d", port), "--NotebookApp.base_url=/notebook/ns/lab/", "--notebook-dir="+dir)
	cmd.Env = append(os.Environ(), "JUPYTER_TOKEN="+tok, "HOME="+dir, "JUPYTER_RUNTIME_DIR="+filepath.Join(dir, "rt"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM); _ = cmd.Wait() })
	r := store.Route{Target: fmt.Sprintf("http://127.0.0.1:%d", port), Token: tok, Namespace: "ns", Kind: form.KindJupyter}
	poll.Until(t, 60*time.Second, "jupyter answers", func() bool {
		res, err := http.Get(r.Target + "/notebook/ns/lab/api/status?token=" + tok)
		if err == nil {
			res.Body.Close()
		}
		return err == nil && res.StatusCode == http.StatusOK
	})
	return r
}

// runSilentCell starts a Python kernel and runs, with no output, a cell
// that sleeps until the file done exists.
// runSilentCell runs a cell that prints nothing: it creates the file
// started, then waits until the file done exists.
func runSilentCell(t *testing.T, r store.Route, started, done string) {
	t.Helper()
	base := r.Target + "/notebook/ns/lab/"
	req, _ := http.NewRequest(http.MethodPost, base+"api/kernels", strings.NewReader(`{"name":"python3"}`))
	req.Header.Set("Authorization", "token "+r.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var kernel struct{ ID string }
	err = json.NewDecoder(res.Body).Decode(&kernel)
	res.Body.Close()
	if err != nil || kernel.ID == "" {
		t.Fatalf("start kernel: %v %s", err, res.Status)
	}
	ws := "ws" + strings.TrimPrefix(base, "http") + "api/kernels/" + kernel.ID + "/channels?session_id=s1"
	c, _, err := websocket.DefaultDialer.Dial(ws, http.Header{"Authorization": {"token " + r.Token}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	settle(t, c)
	code := fmt.Sprintf("import time, os\nopen(%q, 'w').close()\nwhile not os.path.exists(%q):\n    time.sleep(0.1)\n", started, done)
	msg := map[string]any{
		"header":        map[string]any{"msg_id": "m1", "msg_type": "execute_request", "session": "s1", "username": "t", "version": "5.3"},
		"parent_header": map[string]any{}, "metadata": map[string]any{}, "channel": "shell", "buffers": []any{},
		"content": map[string]any{"code": code, "silent": false, "store_history": false, "user_expressions": map[string]any{}, "allow_stdin": false},
	}
	if err := c.WriteJSON(msg); err != nil {
		t.Fatal(err)
	}
}

// settle asks the kernel for its info over c and waits for the answer: the
// server's own kernel_info requests on a new connection (its "nudge", on
// the control channel) are answered by then. Their busy and idle status
// messages would otherwise land while the cell runs and make the server
// report the kernel idle (a race in Jupyter, not ours).
func settle(t *testing.T, c *websocket.Conn) {
	t.Helper()
	info := map[string]any{
		"header":        map[string]any{"msg_id": "i1", "msg_type": "kernel_info_request", "session": "s1", "username": "t", "version": "5.3"},
		"parent_header": map[string]any{}, "metadata": map[string]any{}, "channel": "shell", "buffers": []any{}, "content": map[string]any{},
	}
	if err := c.WriteJSON(info); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Minute))
	defer c.SetReadDeadline(time.Time{})
	for {
		var m struct {
			Header struct {
				MsgType string `json:"msg_type"`
			} `json:"header"`
			Parent struct {
				MsgID string `json:"msg_id"`
			} `json:"parent_header"`
			Content struct {
				State string `json:"execution_state"`
			} `json:"content"`
		}
		if err := c.ReadJSON(&m); err != nil {
			t.Fatalf("kernel info: %v", err)
		}
		if m.Header.MsgType == "status" && m.Parent.MsgID == "i1" && m.Content.State == "idle" {
			return
		}
	}
}

// TestRealKernelBusyIsNotCulled: a real Jupyter kernel busy with a silent
// cell, with no client traffic at all, is kept for hours; once the cell
// finishes, the server is warned and culled after the idle timeout.
func TestRealKernelBusyIsNotCulled(t *testing.T) {
	fx := newCullFixture(t, hourIdle, WithBusyProbe(KernelProbe{}))
	fx.running(t, "lab")
	setKind(t, fx, "lab", form.KindJupyter)
	key := store.Key{Namespace: "ns", Name: "lab"}
	r := realJupyter(t, "tok-"+newToken()[:12])
	if err := fx.st.SetRoute(ctx, key, r); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	started, done := filepath.Join(dir, "started"), filepath.Join(dir, "done")
	runSilentCell(t, r, started, done)
	// Busy while the cell runs, not only while the kernel starts (it is
	// busy for a moment then too).
	poll.Until(t, 30*time.Second, "the cell running", func() bool { _, err := os.Stat(started); return err == nil })
	// jupyter_server learns the state from the kernel's iopub status
	// messages: slow on a loaded machine.
	poll.Until(t, 2*time.Minute, "kernel busy", func() bool { b, err := (KernelProbe{}).Busy(ctx, key, r); return err == nil && b })

	for range 3 { // 3 hours, no traffic, no output
		fx.clock.advance(time.Hour)
		if ds := fx.sweep(t); len(ds) != 0 {
			t.Fatalf("decisions while the kernel is busy = %+v, want none", ds)
		}
	}
	if srv := fx.get(t, "lab"); srv.Phase != store.PhaseRunning || srv.Cull != nil {
		t.Fatalf("busy kernel after 3 h: phase %s cull %+v, want running and unwarned", srv.Phase, srv.Cull)
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "kernel idle", func() bool { b, err := (KernelProbe{}).Busy(ctx, key, r); return err == nil && !b })
	fx.clock.advance(50 * time.Minute)
	fx.sweep(t)
	if srv := fx.get(t, "lab"); srv.Cull == nil {
		t.Fatalf("50 min after the cell finished: no warning")
	}
	fx.clock.advance(10 * time.Minute)
	fx.sweep(t)
	if srv := fx.get(t, "lab"); srv.Phase != store.PhaseStopped || srv.Cull == nil || !srv.Cull.Done {
		t.Errorf("an hour after the cell finished: phase %s cull %+v, want culled", srv.Phase, srv.Cull)
	}
}
