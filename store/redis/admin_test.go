package redis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

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

// TestReindexAddsServersWrittenBeforeTheIndex: a record without an index
// entry (written by an older spawnhub) joins the index; the others stay.
func TestReindexAddsServersWrittenBeforeTheIndex(t *testing.T) {
	addr := startRedis(t)
	s := open(t, addr, "reindex:")
	ctx := t.Context()
	for _, name := range []string{"a", "b"} {
		if _, err := s.CreateServer(ctx, store.Server{Namespace: "ns", Name: name, Phase: store.PhaseStopped}); err != nil {
			t.Fatal(err)
		}
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: addr})
	defer rdb.Close()
	for _, part := range []string{"sums", "meta"} { // as before the index existed
		if err := rdb.HDel(ctx, "reindex:{admin}:"+part, "ns/a").Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.ZRem(ctx, "reindex:{admin}:names", "ns/a").Err(); err != nil {
		t.Fatal(err)
	}
	n, err := s.Reindex(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Reindex = %d, %v; want 1 added", n, err)
	}
	page, err := s.ScanServers(ctx, store.Scan{Order: store.OrderName, Count: 10})
	if err != nil || len(page) != 2 || page[0].Name != "a" {
		t.Errorf("after Reindex the index holds %+v, %v; want a and b", page, err)
	}
}
