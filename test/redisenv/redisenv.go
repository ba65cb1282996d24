// Package redisenv starts a real redis-server for tests outside store/redis:
// on a free loopback port, in the test's temporary directory, killed by
// pid when the test ends.
package redisenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Start runs a redis-server and returns its address. Without redis-server
// the test fails, unless SPAWNHUB_TEST_ALLOW_SKIP=1.
func Start(tb testing.TB) string {
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
		addr, err := try(tb, bin)
		if err == nil {
			return addr
		}
		lastErr = err
	}
	tb.Fatalf("start redis-server: %v", lastErr)
	return ""
}

func try(tb testing.TB, bin string) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", tb.TempDir())
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
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			return "", fmt.Errorf("redis-server on port %d exited: %v", port, err)
		default:
		}
		if err := rdb.Ping(context.Background()).Err(); err == nil {
			return addr, nil
		} else if time.Now().After(deadline) {
			return "", fmt.Errorf("redis-server on port %d does not answer: %w", port, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
