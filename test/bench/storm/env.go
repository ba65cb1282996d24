package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/spawner/local"
)

// demoConfig offers the built-in demo server only.
const demoConfig = `
quotas: {servers: 0, runningServers: 0}
spawner:
  images:
    - id: demo
      kind: demo
      default: true
      names: {en: "Demo server", fr: "Serveur de démonstration"}
      command: ["{{.Executable}}", "demo-server", "--listen", "{{.Host}}:{{.Port}}", "--base-url", "{{.BaseURL}}", "--token-env", "SPAWNHUB_DEMO_TOKEN"]
`

// jupyterConfig offers the local catalogue's classic Jupyter Notebook
// (Debian's jupyter-notebook) as the only image, with its command and
// readiness path: a start costs its process a few seconds of CPU, as a
// real workspace's does.
func jupyterConfig() string {
	i := slices.IndexFunc(local.DefaultImages(), func(im form.Image) bool { return im.ID == "jupyter-notebook" })
	im := local.DefaultImages()[i]
	command, _ := json.Marshal(im.Command) // YAML reads JSON
	return fmt.Sprintf(`
quotas: {servers: 0, runningServers: 0}
spawner:
  images:
    - id: demo
      kind: jupyter
      default: true
      readyPath: %s
      names: {en: "Jupyter Notebook", fr: "Jupyter Notebook"}
      command: %s
`, im.ReadyPath, command)
}

// kubeConfig runs the replicas on a Kubernetes cluster (the tests' kwok
// cluster: pods cost no processes), with one image that is never pulled.
const kubeConfig = `
quotas: {servers: 0, runningServers: 0}
spawner:
  backend: kubernetes
  kubernetes:
    kubeconfig: %s
    createNamespaces: true
  images:
  - id: demo
    kind: jupyter
    container: quay.io/jupyter/base-notebook:test
  limits:
    cpu: {min: "100m", max: "2", default: "100m"}
    memory: {min: 64Mi, max: 4Gi, default: 64Mi}
    workspaceSize: {min: 1Gi, max: 4Gi, default: 1Gi}
`

// env is Redis and the replicas.
type env struct {
	redis    *process
	redisAdr string
	replicas []*process
	urls     []string
	restart  []func() error // starts replica i again on its address
	dir      string
	log      *slog.Logger
}

// process is a process this tool started; it is stopped by pid.
type process struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
}

func start(name, logPath string, envv []string, bin string, args ...string) (*process, error) {
	out, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), envv...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); out.Close(); close(p.exited) }() // ends when the process exits
	return p, nil
}

// stop sends SIGTERM, then SIGKILL after grace, to the process's pid.
func (p *process) stop(grace time.Duration) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitTCP(p *process, addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before listening on %s", p.name, addr)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s does not listen on %s: %w", p.name, addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startEnv builds spawnhub and starts Redis and o.Replicas replicas.
func startEnv(ctx context.Context, dir string, o Options, log *slog.Logger) (*env, error) {
	bin := filepath.Join(dir, "spawnhub")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/spawnhub/spawnhub/cmd/spawnhub")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build spawnhub: %w\n%s", err, out)
	}
	e := &env{log: log, dir: dir}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	if e.redis, err = start("redis-server", filepath.Join(dir, "redis.log"), nil, "redis-server",
		"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir); err != nil {
		return nil, err
	}
	e.redisAdr = addr
	if err := waitTCP(e.redis, addr, 10*time.Second); err != nil {
		e.close()
		return nil, err
	}
	cfg := filepath.Join(dir, "spawnhub.yaml")
	text := demoConfig
	switch {
	case o.Kubeconfig != "":
		text = fmt.Sprintf(kubeConfig, o.Kubeconfig)
	case o.Jupyter:
		text = jupyterConfig()
	}
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		e.close()
		return nil, err
	}
	for i := range o.Replicas {
		if err := e.startReplica(dir, bin, cfg, i, o); err != nil {
			e.close()
			return nil, err
		}
	}
	return e, nil
}

func (e *env) startReplica(dir, bin, cfg string, i int, o Options) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	e.replicas = append(e.replicas, nil)
	e.urls = append(e.urls, "http://"+addr)
	e.restart = append(e.restart, func() error { return e.runReplica(dir, bin, cfg, i, addr, o) })
	return e.restart[i]()
}

// runReplica starts replica i on addr (again, after a kill: same name,
// same data).
func (e *env) runReplica(dir, bin, cfg string, i int, addr string, o Options) error {
	data := filepath.Join(dir, fmt.Sprintf("data%d", i))
	vars := []string{
		"SPAWNHUB_LISTEN=" + addr, "SPAWNHUB_DATADIR=" + data,
		"SPAWNHUB_STORE_DRIVER=redis", "SPAWNHUB_STORE_REDIS_ADDR=" + e.redisAdr,
		"SPAWNHUB_AUTH_SESSIONKEYS=k1:" + strings.Repeat("c", 40),
		"SPAWNHUB_SPAWNER_MAXCONCURRENTSTARTS=" + strconv.Itoa(o.Starts),
	}
	logPath := filepath.Join(dir, fmt.Sprintf("spawnhub%d-%d.log", i, time.Now().UnixNano()))
	p, err := start(fmt.Sprintf("spawnhub-%d", i), logPath, vars, bin, "serve", "--config", cfg)
	if err != nil {
		return err
	}
	e.replicas[i] = p
	return waitTCP(p, addr, 30*time.Second)
}

// kill ends replica i with SIGKILL, as a machine dies.
func (e *env) kill(i int) {
	_ = e.replicas[i].cmd.Process.Kill()
	<-e.replicas[i].exited
}

// killOrphans kills, by pid, the demo servers of this run's binary that
// outlived everything (started by a killed replica before it could record
// them).
func (e *env) killOrphans() {
	bin := filepath.Join(e.dir, "spawnhub")
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, path := range procs {
		raw, err := os.ReadFile(path)
		if err != nil || !strings.HasPrefix(string(raw), bin+"\x00demo-server") {
			continue
		}
		pid, err := strconv.Atoi(strings.Split(path, "/")[2])
		if err == nil {
			e.log.Info("killing an orphaned server", "pid", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func (e *env) close() {
	for _, p := range e.replicas {
		if p != nil {
			p.stop(30 * time.Second)
		}
	}
	e.killOrphans()
	if e.redis != nil {
		e.redis.stop(5 * time.Second)
	}
}

// redisCalls is the total of INFO commandstats calls.
func (e *env) redisCalls(ctx context.Context) (int64, error) {
	by, err := e.redisCallsBy(ctx)
	var total int64
	for _, n := range by {
		total += n
	}
	return total, err
}

// redisCallsBy is INFO commandstats' calls per command.
func (e *env) redisCallsBy(ctx context.Context) (map[string]int64, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", e.redisAdr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Write([]byte("INFO commandstats\r\n")); err != nil {
		return nil, err
	}
	r := bufio.NewReader(c)
	head, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "$") {
		return nil, errors.Join(err, fmt.Errorf("INFO: unexpected answer %q", head))
	}
	size, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
	body := make([]byte, size+2)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	by := map[string]int64{}
	for _, line := range strings.Split(string(body), "\n") {
		// cmdstat_get:calls=10,usec=...
		name, rest, ok := strings.Cut(line, ":calls=")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		n, _ := strconv.ParseInt(strings.SplitN(rest, ",", 2)[0], 10, 64)
		by[strings.TrimPrefix(name, "cmdstat_")] = n
	}
	return by, nil
}
