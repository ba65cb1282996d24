package kubeenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// stopTimeout is how long a process gets between SIGTERM and SIGKILL.
const stopTimeout = 15 * time.Second

// logTail is how much of each log a failed test prints.
const logTail = 8 << 10

// proc is one started binary with its log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
	err  error         // exit status, set before done is closed
}

// run starts bin/name with args in dir, logging to dir/<name>.log. The
// process is stopped by e.stop.
func (e *Env) run(dir, name string, args ...string) (*proc, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create log: %w", err)
	}
	defer f.Close() // the child holds its own descriptor
	cmd := exec.Command(filepath.Join(e.BinDir, name), args...)
	cmd.Dir = dir
	cmd.SysProcAttr = sysProcAttr()
	cmd.Stdout = f
	cmd.Stderr = f
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	e.procs = append(e.procs, p)
	// Ends when the process exits; stop waits for it.
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports an error if the process is no longer running. The
// log itself is printed by stop when the test has failed.
func (p *proc) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %v (log %s)", p.name, p.err, p.log)
	default:
		return nil
	}
}

// stop sends SIGTERM, then SIGKILL after stopTimeout, and waits for exit.
func (p *proc) stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %s (pid %d): %w", p.name, p.cmd.Process.Pid, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s (pid %d): %w", p.name, p.cmd.Process.Pid, err)
	}
	<-p.done
	return fmt.Errorf("%s (pid %d) ignored SIGTERM for %v", p.name, p.cmd.Process.Pid, stopTimeout)
}

// tail returns the end of the process's log.
func (p *proc) tail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	if len(b) > logTail {
		b = b[len(b)-logTail:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// stop ends every process, newest first (kwok, controller-manager,
// scheduler, apiserver, etcd), prints the logs if the test failed and
// removes the directory otherwise.
func (e *Env) stop() {
	failed := e.t.Failed()
	for i := len(e.procs) - 1; i >= 0; i-- {
		p := e.procs[i]
		if err := p.stop(); err != nil {
			e.t.Errorf("kubeenv: %v", err)
		}
		if failed {
			e.t.Logf("kubeenv: end of %s:\n%s", p.log, p.tail())
		}
	}
	if failed || e.t.Failed() {
		e.t.Logf("kubeenv: logs kept in %s", e.Dir)
		return
	}
	if err := os.RemoveAll(e.Dir); err != nil {
		e.t.Errorf("kubeenv: %v", err)
	}
}
