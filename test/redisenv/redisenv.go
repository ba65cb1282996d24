// Package redisenv starts real redis-servers for tests: each on a free
// loopback port, in the test's temporary directory, killed by pid when the
// test ends (or earlier, with Kill, as a machine dies).
package redisenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Start runs a redis-server with the extra arguments and returns its
// address. With --cluster-enabled, its cluster bus port (port + 10000) is
// free too. Without redis-server the test fails, unless
// SPAWNHUB_TEST_ALLOW_SKIP=1.
func Start(tb testing.TB, extra ...string) string {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("SPAWNHUB_TEST_ALLOW_SKIP") == "1" {
			tb.Skip("redis-server is not installed (SPAWNHUB_TEST_ALLOW_SKIP=1)")
		}
		tb.Fatalf("redis-server is not installed; install it or set SPAWNHUB_TEST_ALLOW_SKIP=1: %v", err)
	}
	var lastErr error
	for range 3 { // another process may take the free port first
		addr, err := try(tb, bin, extra)
		if err == nil {
			return addr
		}
		lastErr = err
	}
	tb.Fatalf("start redis-server: %v", lastErr)
	return ""
}

// procs is the redis-server process listening on each address.
var procs sync.Map // addr → *os.Process

// Kill kills the redis-server that Start started on addr with SIGKILL.
func Kill(tb testing.TB, addr string) {
	tb.Helper()
	p, ok := procs.Load(addr)
	if !ok {
		tb.Fatalf("no redis-server of this test on %s", addr)
	}
	if err := p.(*os.Process).Kill(); err != nil {
		tb.Fatalf("kill redis-server on %s: %v", addr, err)
	}
}

func try(tb testing.TB, bin string, extra []string) (string, error) {
	port, err := FreePort()
	if slices.Contains(extra, "--cluster-enabled") {
		port, err = freeClusterPort()
	}
	if err != nil {
		return "", err
	}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", tb.TempDir()}, extra...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("run %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // ends when the server exits
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	procs.Store(addr, cmd.Process)
	return addr, waitAnswer(addr, exited)
}

// waitAnswer waits until the server on addr answers PING, or exits.
func waitAnswer(addr string, exited <-chan error) error {
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("redis-server on %s exited: %v", addr, err)
		default:
		}
		err := rdb.Ping(context.Background()).Err()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s does not answer: %w", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// FreePort is a loopback port free at the time of the call.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freeClusterPort is a free port whose cluster bus port (port + 10000) is
// free too.
func freeClusterPort() (int, error) {
	for range 20 {
		port, err := FreePort()
		if err != nil {
			return 0, err
		}
		if port+10000 > 65535 {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)))
		if err != nil {
			continue
		}
		_ = l.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free port with a free cluster bus port")
}
