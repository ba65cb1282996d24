package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// proc is a server process started by this Backend.
type proc struct {
	key      store.Key
	instance string
	pid      int
	port     int
	log      string
	exited   chan struct{} // closed once the process has been reaped
	waitErr  error         // set before exited is closed
	ready    bool          // guarded by Backend.mu: Start has returned it
	stopping bool          // guarded by Backend.mu: Stop was asked for
}

// portAttempts bounds how many ports a start tries when another process
// takes the server's port before the server binds it.
const portAttempts = 3

// Start implements spawner.Backend: it runs the image's command on a port
// of its own and waits until the server answers. If another process takes
// that port first, it starts the server again on a new one. On error
// nothing is left running, and the error ends with the last lines of the
// server's log.
func (b *Backend) Start(ctx context.Context, srv store.Server, im form.Image, token string, progress func(store.Event)) (store.Route, string, error) {
	if err := runnable(srv, im); err != nil {
		return store.Route{}, "", err
	}
	for attempt := 1; ; attempt++ {
		route, inst, err := b.startOnce(ctx, srv, im, token, progress)
		if !errors.Is(err, errPortTaken) || attempt == portAttempts || ctx.Err() != nil {
			return route, inst, err
		}
		progress(spawner.Say("port.taken", err.Error()+"; starting again on another port").Event(store.EventWarning, "PortTaken"))
	}
}

// startOnce runs the server on a newly reserved port.
func (b *Backend) startOnce(ctx context.Context, srv store.Server, im form.Image, token string, progress func(store.Event)) (store.Route, string, error) {
	key := srv.Key()
	port, err := b.ports.reserve(b.o.Host)
	if err != nil {
		return store.Route{}, "", err
	}
	profile := im.Profile()
	runBase := key.BasePath()
	if profile.StripPrefix {
		runBase = "/"
	}
	p, err := b.launch(srv, im, port, runBase, token, progress)
	if err != nil {
		if p == nil { // else the process's end released the port
			b.ports.release(port)
		}
		return store.Route{}, "", err
	}
	progress(spawner.Say("launched", fmt.Sprintf("process %d started on port %d; waiting for it to answer", p.pid, port),
		"pid", strconv.Itoa(p.pid), "port", strconv.Itoa(port)).Event(store.EventNormal, "Launched"))
	target := "http://" + net.JoinHostPort(b.o.Host, strconv.Itoa(port))
	ready := strings.TrimPrefix(profile.ReadyPath, "/")
	if err := b.waitReady(ctx, p, port, target+runBase+ready, token, ready != ""); err != nil {
		b.kill(p)
		if errors.Is(err, errExited) {
			return store.Route{}, "", exitFailure("start.exited", "the server exited while starting", p.waitErr, p.log)
		}
		return store.Route{}, "", fmt.Errorf("%w; last lines of its log:\n%s", err, tail(p.log, tailLines))
	}
	b.mu.Lock()
	p.ready = true
	b.mu.Unlock()
	progress(spawner.Say("ready", "the server answers").Event(store.EventNormal, "Ready"))
	return store.Route{Target: target, Token: token, StripPrefix: profile.StripPrefix, Namespace: key.Namespace}, p.instance, nil
}

// runnable refuses what this backend cannot run: a custom image (a
// container) or an image without a command.
func runnable(srv store.Server, im form.Image) error {
	if srv.Spec.CustomImage != "" {
		return fmt.Errorf("local backend: custom images (%s) cannot run here: %w", srv.Spec.CustomImage, form.ErrInvalidSpec)
	}
	if len(im.Command) == 0 {
		return fmt.Errorf("local backend: image %q has no command to run: %w", srv.Spec.Image, form.ErrInvalidSpec)
	}
	return checkKey(srv.Key())
}

// launch starts the process in its own group, with its output in its log.
// On error p is nil, unless the process was started (and has ended: its
// end released the port).
func (b *Backend) launch(srv store.Server, im form.Image, port int, runBase, token string, progress func(store.Event)) (*proc, error) {
	key := srv.Key()
	home, logPath := b.homeOf(srv), b.LogPath(key)
	for _, dir := range []string{filepath.Dir(logPath), filepath.Dir(b.instancePath(key))} {
		if err := os.MkdirAll(dir, privateMode); err != nil {
			return nil, fmt.Errorf("local backend: %w", err)
		}
	}
	if err := b.serverDir(home, false); err != nil {
		return nil, fmt.Errorf("local backend: home folder: %w", err)
	}
	if err := b.linkVolumes(srv, home, progress); err != nil {
		return nil, err
	}
	argv, err := expand(im.Command, form.TemplateData{
		Port: port, BaseURL: runBase, Token: token, Home: home, Host: b.o.Host, Executable: b.o.Executable,
	})
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	defer logf.Close() // the child has its own copy
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = home, logf, logf
	cmd.Env = b.env(srv, im, home, token)
	// Its own group survives us; Stop kills the group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: b.acct.credential()}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("local backend: run %s as %s: %w", argv[0], b.acct.Name, err)
	}
	p := &proc{key: key, pid: cmd.Process.Pid, port: port, log: logPath, exited: make(chan struct{})}
	// Until Wait reaps it, even an exited child is in /proc.
	p.instance, err = instanceOf(p.pid)
	go b.wait(cmd, p) // ends when the process exits
	if err != nil {
		b.kill(p)
		return p, fmt.Errorf("local backend: process %d: %w", p.pid, err)
	}
	b.mu.Lock()
	b.running[p.instance] = p
	b.mu.Unlock()
	if err := os.WriteFile(b.instancePath(key), []byte(p.instance), 0o600); err != nil {
		b.log.Warn("instance file not written", "server", key.String(), "err", err)
	}
	b.log.Info("process started", "server", key.String(), "pid", p.pid, "command", argv[0])
	return p, nil
}

// wait reaps the process and reports an exit nobody asked for: a clean one
// (exit status 0, the server's own Quit) or a failure.
func (b *Backend) wait(cmd *exec.Cmd, p *proc) {
	p.waitErr = cmd.Wait()
	b.ports.release(p.port)
	close(p.exited)
	b.mu.Lock()
	delete(b.running, p.instance)
	unexpected := p.ready && !p.stopping
	onExit := b.onExit
	b.mu.Unlock()
	if !unexpected || onExit == nil {
		return
	}
	if p.waitErr == nil { // it ended itself cleanly: Jupyter's Quit
		onExit(p.key, p.instance, nil)
		return
	}
	onExit(p.key, p.instance, exitFailure("exited", "the server exited", p.waitErr, p.log))
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// env is the server's environment: the base (never spawnhub's own
// environment), the spec's variables, then ours, which win. Jupyter is
// told not to move to another port when its port is taken
// (JUPYTER_PORT_RETRIES=0): it fails, and Start tries a new port.
func (b *Backend) env(srv store.Server, im form.Image, home, token string) []string {
	lang := "en_US.UTF-8"
	if srv.Spec.Language == "fr" {
		lang = "fr_CA.UTF-8"
	}
	env := append([]string(nil), b.o.Env...)
	for _, e := range srv.Spec.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	env = append(env,
		"HOME="+home,
		"NB_PREFIX="+strings.TrimSuffix(srv.Key().BasePath(), "/"),
		"JUPYTER_TOKEN="+token,
		"LANG="+lang,
		"KF_LANG="+srv.Spec.Language,
		"JUPYTER_PORT_RETRIES=0",
	)
	if im.Kind == form.KindDemo {
		env = append(env, DemoTokenEnv+"="+token)
	}
	return env
}

// expand fills the command templates.
func expand(args []string, data form.TemplateData) ([]string, error) {
	out := make([]string, len(args))
	for i, a := range args {
		t, err := template.New("arg").Option("missingkey=error").Parse(a)
		if err != nil {
			return nil, fmt.Errorf("local backend: command[%d]: %w", i, err)
		}
		var sb strings.Builder
		if err := t.Execute(&sb, data); err != nil {
			return nil, fmt.Errorf("local backend: command[%d]: %w", i, err)
		}
		out[i] = sb.String()
	}
	if out[0] == "" {
		return nil, errors.New("local backend: the command has no program (is Executable set?)")
	}
	return out, nil
}
