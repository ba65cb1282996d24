package redis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/redis"
)

// TestObserveTimesCommands: Options.Observe hears every command and
// pipeline, and a missing key is not an error (the connection's own
// handshake commands may fail on an older Redis: not counted here).
func TestObserveTimesCommands(t *testing.T) {
	addr := startRedis(t)
	var mu sync.Mutex
	seen := map[string]int{}
	failed := map[string]int{}
	s, err := redis.New(context.Background(), redis.Options{Addrs: []string{addr}, Prefix: "obs:",
		Observe: func(cmd string, d time.Duration, err error) {
			mu.Lock()
			defer mu.Unlock()
			seen[cmd]++
			if err != nil || d <= 0 {
				failed[cmd]++
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	mu.Lock()
	clear(seen) // New's own commands, and the connection's handshake
	clear(failed)
	mu.Unlock()
	if _, err := s.GetServer(t.Context(), "ns", "nope"); err == nil {
		t.Fatal("GetServer of a missing server succeeded")
	}
	if _, err := s.ListServers(t.Context(), "ns"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Activities(t.Context(), []store.Key{{Namespace: "ns", Name: "a"}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["hget"] != 1 || seen["pipeline"] == 0 || failed["hget"]+failed["pipeline"] != 0 {
		t.Errorf("observed %v with failures %v, want one hget, pipelines, neither failed", seen, failed)
	}
}
