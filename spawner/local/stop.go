package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// Stop implements spawner.Backend: SIGTERM to the server's process group,
// SIGKILL after the grace period, and it returns once the process is gone
// or ctx ends. With no instance in srv (an interrupted start) it uses the
// instance file. A process that is already gone is not an error.
func (b *Backend) Stop(ctx context.Context, srv store.Server) error {
	key := srv.Key()
	if err := checkKey(key); err != nil {
		return err
	}
	inst := srv.Instance
	if inst == "" {
		raw, _ := os.ReadFile(b.instancePath(key))
		inst = strings.TrimSpace(string(raw))
	}
	if inst == "" {
		return nil
	}
	pid, start, err := parseInstance(inst)
	if err != nil {
		return err
	}
	if err := b.stopProcess(ctx, inst, pid, start); err != nil {
		return fmt.Errorf("stop %s (pid %d): %w", key, pid, err)
	}
	b.removeInstanceFile(key, inst)
	return nil
}

func (b *Backend) stopProcess(ctx context.Context, inst string, pid int, start string) error {
	var exited <-chan struct{}
	b.mu.Lock()
	if p, ok := b.running[inst]; ok {
		p.stopping = true
		exited = p.exited
	}
	b.mu.Unlock()
	if !processAlive(pid, start) {
		return nil
	}
	if err := signalGroup(pid, syscall.SIGTERM); err != nil {
		return err
	}
	graceCtx, cancel := context.WithTimeout(ctx, b.o.Grace)
	defer cancel()
	if waitGone(graceCtx, pid, start, exited) {
		signalGroup(pid, syscall.SIGKILL) // children that ignored SIGTERM; the group may be gone
		return nil
	}
	if err := signalGroup(pid, syscall.SIGKILL); err != nil {
		return err
	}
	if !waitGone(ctx, pid, start, exited) {
		return fmt.Errorf("still running after SIGKILL: %w", ctx.Err())
	}
	return nil
}

// kill ends a process of ours that failed to start, at once.
func (b *Backend) kill(p *proc) {
	b.mu.Lock()
	p.stopping = true
	b.mu.Unlock()
	if err := signalGroup(p.pid, syscall.SIGKILL); err != nil {
		b.log.Warn("kill", "pid", p.pid, "err", err)
	}
	<-p.exited
	b.removeInstanceFile(p.key, p.instance)
}

// waitGone waits until the process is gone or ctx ends, and reports
// whether it is gone. exited is the child's reaped signal, nil for a
// process of an earlier spawnhub, which is polled in /proc.
func waitGone(ctx context.Context, pid int, start string, exited <-chan struct{}) bool {
	if exited != nil { // our child is gone once reaped, not merely dead
		select {
		case <-exited:
			return true
		case <-ctx.Done():
			return false
		}
	}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for processAlive(pid, start) {
		select {
		case <-ctx.Done():
			return !processAlive(pid, start)
		case <-t.C:
		}
	}
	return true
}

// removeInstanceFile removes the instance file if it still names inst.
func (b *Backend) removeInstanceFile(key store.Key, inst string) {
	path := b.instancePath(key)
	raw, err := os.ReadFile(path)
	if err != nil || strings.TrimSpace(string(raw)) != inst {
		return
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		b.log.Warn("instance file not removed", "server", key.String(), "err", err)
	}
}
