package desktop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Programs are the Debian programs a desktop runs, and noVNC's files;
// the local catalogue offers the desktop only where all of them exist.
var Programs = []string{"/usr/bin/Xvnc", "/usr/bin/openbox", "/usr/bin/xterm", "/usr/bin/websockify", NoVNC + "/vnc.html"}

// NoVNC is where Debian's novnc package puts noVNC.
const NoVNC = "/usr/share/novnc"

// Options configure a desktop.
type Options struct {
	Listen   string // websockify's address, host:port on loopback
	TokenEnv string // the variable of Environ holding the token
	Geometry string // e.g. 1280x800
	Home     string // the server's home: its private folder is made there
	Prefix   string // the server's URL path without leading slash
	Environ  []string
	Log      io.Writer // the processes' output
}

// Run starts the X server, then the window manager, an xterm and
// websockify, and blocks until ctx ends (it stops them all and returns
// ctx's error) or one of them exits (it stops the others and says which).
func Run(ctx context.Context, o Options) error {
	dir := filepath.Join(o.Home, ".spawnhub", "desktop")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("desktop: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("desktop: %w", err)
	}
	// A Unix socket path has at most 107 bytes, which a home deep in a data
	// folder may pass: the socket gets a private folder of its own in the
	// temporary folder.
	sockDir, err := os.MkdirTemp("", "spawnhub-vnc-")
	if err != nil {
		return fmt.Errorf("desktop: %w", err)
	}
	defer os.RemoveAll(sockDir)
	xauth, sock := filepath.Join(dir, "Xauthority"), filepath.Join(sockDir, "rfb.sock")
	if err := writeXauthority(xauth); err != nil {
		return fmt.Errorf("desktop: Xauthority: %w", err)
	}
	if err := writeAuthPlugin(dir); err != nil {
		return fmt.Errorf("desktop: %w", err)
	}
	if err := writeWebRoot(filepath.Join(dir, "web"), NoVNC, o.Prefix); err != nil {
		return fmt.Errorf("desktop: %w", err)
	}
	g := &group{exited: make(chan exit, 4), log: o.Log}
	defer g.stop()
	display, err := g.startX(ctx, o, xauth, sock)
	if err != nil {
		return err
	}
	desk := append(without(o.Environ, o.TokenEnv, "DISPLAY", "XAUTHORITY"), "DISPLAY="+display, "XAUTHORITY="+xauth)
	for _, c := range []*exec.Cmd{
		command(o, desk, "/usr/bin/openbox"),
		command(o, desk, "/usr/bin/xterm", "-maximized", "-title", "Terminal", "-e", "/bin/bash", "-l"),
		command(o, append(without(o.Environ, "PYTHONPATH"), "PYTHONPATH="+dir), "/usr/bin/websockify",
			"--web", filepath.Join(dir, "web"), "--web-auth", "--auth-plugin", authModule+".TokenAuth",
			"--auth-source", o.TokenEnv, "--unix-target", sock, o.Listen),
	} {
		if err := g.start(c); err != nil {
			return err
		}
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case e := <-g.exited:
		return fmt.Errorf("desktop: %s exited (%v)", e.name, e.err)
	}
}

// startX starts Xvnc on the first free display, VNC on the Unix socket
// sock only (no TCP), and returns the display (":N") once it accepts
// clients.
func (g *group) startX(ctx context.Context, o Options, xauth, sock string) (string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", fmt.Errorf("desktop: %w", err)
	}
	defer r.Close()
	x := command(o, without(o.Environ, o.TokenEnv), "/usr/bin/Xvnc", "-displayfd", "3",
		"-geometry", o.Geometry, "-depth", "24", "-auth", xauth, "-nolisten", "tcp",
		"-rfbport", "-1", "-rfbunixpath", sock, "-rfbunixmode", "0600",
		"-SecurityTypes", "None", "-AlwaysShared", "-desktop", "spawnhub")
	x.ExtraFiles = []*os.File{w}
	err = g.start(x)
	w.Close()
	if err != nil {
		return "", err
	}
	line := make(chan string, 1)
	go func() { // ends when Xvnc writes its display or closes the pipe (exits)
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case s := <-line:
		if s == "" {
			return "", errors.New("desktop: Xvnc exited before it had a display")
		}
		return ":" + s, nil
	case <-ctx.Done():
		return "", ctx.Err()
	case <-time.After(30 * time.Second):
		return "", errors.New("desktop: Xvnc gave no display in 30s")
	}
}

func command(o Options, env []string, prog string, args ...string) *exec.Cmd {
	c := exec.Command(prog, args...)
	c.Env, c.Dir, c.Stdout, c.Stderr = env, o.Home, o.Log, o.Log
	return c
}

// without returns environ less the named variables.
func without(environ []string, names ...string) []string {
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, n := range names {
			keep = keep && name != n
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// group is the desktop's processes.
type group struct {
	procs  []member
	exited chan exit // the first exits, for Run
	log    io.Writer
}

type member struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once reaped
}

type exit struct {
	name string
	err  error
}

// start runs c and reports its end on g.exited.
func (g *group) start(c *exec.Cmd) error {
	if err := c.Start(); err != nil {
		return fmt.Errorf("desktop: run %s: %w", c.Path, err)
	}
	m := member{cmd: c, done: make(chan struct{})}
	g.procs = append(g.procs, m)
	go func() { // ends when the process exits
		err := c.Wait()
		close(m.done)
		select {
		case g.exited <- exit{filepath.Base(c.Path), err}:
		default:
		}
	}()
	return nil
}

// stopGrace is how long the desktop's processes get to end on SIGTERM.
const stopGrace = 5 * time.Second

// stop sends SIGTERM to every process, last started first, and SIGKILL to
// those still there after stopGrace; it returns once all are reaped.
func (g *group) stop() {
	for i := len(g.procs) - 1; i >= 0; i-- {
		g.procs[i].cmd.Process.Signal(syscall.SIGTERM)
	}
	grace := time.NewTimer(stopGrace)
	defer grace.Stop()
	for _, m := range g.procs {
		select {
		case <-m.done:
			continue
		case <-grace.C:
		}
		for _, m := range g.procs {
			m.cmd.Process.Kill()
		}
		break
	}
	for _, m := range g.procs {
		<-m.done
	}
}
