package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/spawner/local/demo"
	"github.com/spawnhub/spawnhub/spawner/local/desktop"
	"github.com/spawnhub/spawnhub/store"
)

// TestMain lets the test binary play the spawnhub binary: run as
// "<test binary> demo-server …" it is the demo server, as
// "<test binary> desktop-session …" a desktop.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == desktop.Subcommand {
		ctx, stop := signalContext()
		defer stop()
		if err := desktop.Main(ctx, os.Args[2:], os.Environ(), os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == demo.Subcommand {
		ctx, stop := signalContext()
		defer stop()
		if err := demo.Main(ctx, os.Args[2:], os.Getenv, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	dir, err := shareExecutable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testExecutable is the test binary at a path the server account may run
// (go test builds it in a folder only its owner can enter).
var testExecutable string

func shareExecutable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "spawnhub-local-test-")
	if err != nil {
		return "", err
	}
	testExecutable = filepath.Join(dir, "spawnhub.test")
	raw, err := os.ReadFile(exe)
	if err == nil {
		err = os.WriteFile(testExecutable, raw, 0o755)
	}
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	return dir, err
}

// dataDir is a new data folder on a path the server account can cross.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
		t.Fatal(err)
	}
	return dir
}

var catalogue = map[string]form.Image{
	"demo":  {ID: "demo", Kind: form.KindDemo, Command: DemoCommand},
	"crash": {ID: "crash", Kind: form.KindDemo, Command: []string{"/bin/sh", "-c", "echo starting up; echo 'fatal: no licence' >&2; exit 3"}},
	"strip": {ID: "strip", Kind: form.KindDemo, Command: DemoCommand, StripPrefix: true},
}

// image is the test catalogue's entry id, or a default image's; what the
// manager would resolve for a spec of that image.
func image(id string) form.Image {
	if im, ok := catalogue[id]; ok {
		return im
	}
	im, _ := form.Config{Images: DefaultImages()}.Image(id)
	return im
}

func newBackend(t *testing.T, dir string) *Backend {
	t.Helper()
	b, err := New(Options{DataDir: dir, Executable: testExecutable, Grace: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func server(name, image string) store.Server {
	return store.Server{Namespace: "alice", Name: name, Spec: store.Spec{Image: image, Language: "fr"}}
}

// start starts srv and registers its stop (by pid, through the backend).
func start(t *testing.T, b *Backend, srv store.Server) (store.Server, store.Route) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	route, inst, err := b.Start(ctx, srv, image(srv.Spec.Image), "tok-"+srv.Name, func(store.Event) {})
	if err != nil {
		t.Fatalf("Start(%s): %v", srv.Name, err)
	}
	srv.Instance = inst
	t.Cleanup(func() { b.Stop(context.Background(), srv) })
	return srv, route
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestDemoStartAndStop(t *testing.T) {
	b := newBackend(t, dataDir(t))
	srv, route := start(t, b, server("demo1", "demo"))
	if !strings.HasPrefix(route.Target, "http://127.0.0.1:") || route.Token != "tok-demo1" || route.StripPrefix {
		t.Errorf("route = %+v, want a 127.0.0.1 target with the token", route)
	}
	status := route.Target + "/notebook/alice/demo1/api/status"
	if code, body := get(t, status, route.Token); code != 200 || !strings.Contains(body, `"ok":true`) {
		t.Errorf("GET api/status with token = %d %s, want 200 ok", code, body)
	}
	if code, _ := get(t, status, "wrong"); code != 403 {
		t.Errorf("GET api/status with a wrong token = %d, want 403", code)
	}
	if alive, err := b.Alive(context.Background(), srv); !alive || err != nil {
		t.Errorf("Alive = %v, %v, want true", alive, err)
	}
	pid, _, _ := parseInstance(srv.Instance)
	if err := b.Stop(context.Background(), srv); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d after Stop: kill 0 = %v, want ESRCH", pid, err)
	}
	if alive, _ := b.Alive(context.Background(), srv); alive {
		t.Error("Alive after Stop = true, want false")
	}
	if err := b.Stop(context.Background(), srv); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
}

func TestStripPrefix(t *testing.T) {
	b := newBackend(t, dataDir(t))
	_, route := start(t, b, server("desk", "strip"))
	if !route.StripPrefix {
		t.Error("route.StripPrefix = false, want true")
	}
	if code, _ := get(t, route.Target+"/api/status", route.Token); code != 200 {
		t.Errorf("GET /api/status = %d, want 200 (served at /)", code)
	}
}

func TestExitDuringStartShowsLog(t *testing.T) {
	b := newBackend(t, dataDir(t))
	_, _, err := b.Start(context.Background(), server("bad", "crash"), image("crash"), "tok", func(store.Event) {})
	if err == nil || !strings.Contains(err.Error(), "fatal: no licence") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("Start(crash) = %v, want the exit status and the log tail", err)
	}
}

func TestAliveAfterRestart(t *testing.T) {
	dir := dataDir(t)
	srv, route := start(t, newBackend(t, dir), server("keep", "demo"))
	restarted := newBackend(t, dir) // a new spawnhub on the same data dir
	if alive, err := restarted.Alive(context.Background(), srv); !alive || err != nil {
		t.Fatalf("Alive from a new backend = %v, %v, want true", alive, err)
	}
	if code, _ := get(t, route.Target+"/notebook/alice/keep/api/status", route.Token); code != 200 {
		t.Errorf("server after restart answers %d, want 200", code)
	}
	stale := srv
	stale.Instance = strings.Split(srv.Instance, ":")[0] + ":1" // same pid, other start time
	if alive, _ := restarted.Alive(context.Background(), stale); alive {
		t.Error("Alive with a recycled pid = true, want false")
	}
	// Stop from the new backend, with the instance file only.
	srv.Instance = ""
	if err := restarted.Stop(context.Background(), srv); err != nil {
		t.Fatal(err)
	}
	if alive, _ := restarted.Alive(context.Background(), stale); alive {
		t.Error("process alive after Stop from the new backend")
	}
}

func TestUnexpectedExitIsReported(t *testing.T) {
	b := newBackend(t, dataDir(t))
	type exit struct{ key, inst, reason string }
	exits := make(chan exit, 1)
	b.SetExitHandler(func(k store.Key, inst, reason string) { exits <- exit{k.String(), inst, reason} })
	srv, _ := start(t, b, server("dies", "demo"))
	pid, _, _ := parseInstance(srv.Instance)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	got := <-exits
	if got.key != "alice/dies" || got.inst != srv.Instance || !strings.Contains(got.reason, "killed") {
		t.Errorf("exit report = %+v, want alice/dies %s with the signal", got, srv.Instance)
	}
}

func TestJupyter(t *testing.T) {
	for _, id := range []string{"jupyter-notebook", "jupyter-server"} {
		t.Run(id, func(t *testing.T) {
			im, _ := form.Config{Images: DefaultImages()}.Image(id)
			if !Available(im) {
				t.Skipf("%s is not installed", id)
			}
			b := newBackend(t, dataDir(t))
			_, route := start(t, b, server("nb", id))
			url := route.Target + "/notebook/alice/nb/api/status"
			if code, body := get(t, url, route.Token); code != 200 || !strings.Contains(body, "kernels") {
				t.Errorf("GET %s with token = %d %s, want 200 with a status", url, code, body)
			}
			if code, _ := get(t, url, ""); code != 403 {
				t.Errorf("GET api/status without token = %d, want 403", code)
			}
		})
	}
}
