package redis_test

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
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/redis"
	"github.com/spawnhub/spawnhub/test/poll"
	"github.com/spawnhub/spawnhub/test/redisenv"
)

const sentinelMaster = "spawnhub"

// startSentinel starts a Sentinel (Debian's redis-server --sentinel) that
// watches master alone (quorum 1) and fails over one second after it
// stops answering; it is killed by pid when the test ends.
func startSentinel(t *testing.T, master string) string {
	t.Helper()
	port, err := redisenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	host, mport, _ := net.SplitHostPort(master)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s %s %s 1\n"+
		"sentinel down-after-milliseconds %[3]s 1000\nsentinel failover-timeout %[3]s 10000\n",
		port, dir, sentinelMaster, host, mport)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("redis-server", conf, "--sentinel")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sentinel: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // ends when the sentinel exits
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("sentinel output:\n%s", out.String())
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c := goredis.NewSentinelClient(&goredis.Options{Addr: addr})
	t.Cleanup(func() { _ = c.Close() })
	poll.UntilNil(t, 30*time.Second, func() error {
		if cmd.ProcessState != nil || cmd.Process.Signal(syscall.Signal(0)) != nil {
			return fmt.Errorf("the sentinel is not running")
		}
		replicas, err := c.Replicas(t.Context(), sentinelMaster).Result()
		switch {
		case err != nil:
			return err
		case len(replicas) == 0:
			return errors.New("the sentinel has not found the replica yet")
		}
		return nil
	})
	return addr
}

// TestSentinelFailoverLosesNoAcknowledgedWrite writes records without
// pause, kills the master with SIGKILL in the middle, and checks, once the
// Sentinel has promoted the replica and the writes go through again, that
// every write the store acknowledged is there.
func TestSentinelFailoverLosesNoAcknowledgedWrite(t *testing.T) {
	master := startRedis(t)
	host, port, _ := net.SplitHostPort(master)
	replica := startRedis(t, "--replicaof", host, port)
	rc := goredis.NewClient(&goredis.Options{Addr: replica})
	t.Cleanup(func() { _ = rc.Close() })
	poll.UntilNil(t, 30*time.Second, func() error {
		info, err := rc.Info(t.Context(), "replication").Result()
		if err != nil || !strings.Contains(info, "master_link_status:up") {
			return fmt.Errorf("replica not in sync yet (%v)", err)
		}
		return nil
	})
	sentinel := startSentinel(t, master)
	s, err := redis.New(t.Context(), redis.Options{Addrs: []string{sentinel}, MasterName: sentinelMaster, Prefix: "sentinel:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	w := &ackedWriter{s: s}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); w.run(ctx) }() // ends with ctx
	poll.UntilNil(t, 30*time.Second, w.atLeast(50))
	killRedis(t, master)
	before := w.count()
	poll.UntilNil(t, 60*time.Second, w.atLeast(before+50)) // the failover is over
	stop()
	<-done
	if w.failed == 0 {
		t.Log("no write failed during the failover (it was quick)")
	}
	for _, name := range w.names() {
		if _, err := s.GetServer(t.Context(), "sentinel", name); err != nil {
			t.Errorf("acknowledged write %s lost in the failover: %v", name, err)
		}
	}
	t.Logf("%d writes acknowledged, %d attempts failed during the failover", w.count(), w.failed)
}

// ackedWriter creates records one after the other and remembers those
// the store acknowledged.
type ackedWriter struct {
	s      *redis.Store
	mu     sync.Mutex
	acked  []string
	failed int
}

func (w *ackedWriter) run(ctx context.Context) {
	for i := 0; ctx.Err() == nil; {
		name := fmt.Sprintf("w-%d", i)
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := w.s.CreateServer(wctx, store.Server{Namespace: "sentinel", Name: name, Phase: store.PhaseStopped})
		cancel()
		w.mu.Lock()
		switch {
		case err == nil:
			w.acked = append(w.acked, name)
			i++
		case errors.Is(err, store.ErrConflict): // written, but the answer was lost
			i++
		default:
			w.failed++
		}
		w.mu.Unlock()
		if err != nil {
			time.Sleep(20 * time.Millisecond) // retry pace, not an assertion
		}
	}
}

func (w *ackedWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

func (w *ackedWriter) names() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.acked...)
}

func (w *ackedWriter) atLeast(n int) func() error {
	return func() error {
		if got := w.count(); got < n {
			return fmt.Errorf("%d writes acknowledged, want %d", got, n)
		}
		return nil
	}
}
