package redis_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/redis"
	"github.com/spawnhub/spawnhub/store/storetest"
	"github.com/spawnhub/spawnhub/test/redisenv"
)

// startRedis starts a redis-server for the test (redisenv.Start).
func startRedis(tb testing.TB, extra ...string) string {
	tb.Helper()
	return redisenv.Start(tb, extra...)
}

// killRedis kills the redis-server on addr with SIGKILL, as a machine dies.
func killRedis(tb testing.TB, addr string) {
	tb.Helper()
	redisenv.Kill(tb, addr)
}

var prefixes atomic.Int64

// open connects a store to addr, with a prefix of its own unless given.
func open(tb testing.TB, addr, prefix string) *redis.Store {
	tb.Helper()
	if prefix == "" {
		prefix = fmt.Sprintf("test%d:", prefixes.Add(1))
	}
	s, err := redis.New(context.Background(), redis.Options{Addrs: []string{addr}, Prefix: prefix})
	if err != nil {
		tb.Fatalf("redis.New: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func TestContract(t *testing.T) {
	addr := startRedis(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, addr, "") })
}

// TestSurvivesRestart checks that a replica that closes its store and opens
// a new one finds everything again.
func TestSurvivesRestart(t *testing.T) {
	addr := startRedis(t)
	ctx := t.Context()
	key := store.Key{Namespace: "alice", Name: "lab"}
	first := open(t, addr, "restart:")
	if _, err := first.CreateServer(ctx, store.Server{Namespace: "alice", Name: "lab", Phase: store.PhaseRunning}); err != nil {
		t.Fatal(err)
	}
	if err := first.SetRoute(ctx, key, store.Route{Target: "http://127.0.0.1:1", Namespace: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := first.MarkActivity(ctx, map[store.Key]time.Time{key: time.UnixMilli(5000)}); err != nil {
		t.Fatal(err)
	}
	tok := store.Token{ID: "t", Hash: "h", User: "alice", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := first.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	second := open(t, addr, "restart:")
	if srv, err := second.GetServer(ctx, "alice", "lab"); err != nil || srv.Phase != store.PhaseRunning || srv.Version != 1 {
		t.Errorf("GetServer after restart = %+v, %v; want running at version 1", srv, err)
	}
	if r, err := second.GetRoute(ctx, key); err != nil || r.Target != "http://127.0.0.1:1" {
		t.Errorf("GetRoute after restart = %+v, %v; want target http://127.0.0.1:1", r, err)
	}
	if last, err := second.LastActivity(ctx, key); err != nil || !last.Equal(time.UnixMilli(5000)) {
		t.Errorf("LastActivity after restart = %v, %v; want %v", last, err, time.UnixMilli(5000))
	}
	if got, err := second.TokenByHash(ctx, "h"); err != nil || got.ID != "t" {
		t.Errorf("TokenByHash after restart = %+v, %v; want token t", got, err)
	}
}

// TestResyncAfterReconnect checks that a subscription whose connection is
// killed comes back and says "resync" with an empty message.
func TestResyncAfterReconnect(t *testing.T) {
	addr := startRedis(t)
	s := open(t, addr, "")
	ch, err := s.Subscribe(t.Context(), store.TopicRoutes)
	if err != nil {
		t.Fatal(err)
	}
	admin := goredis.NewClient(&goredis.Options{Addr: addr})
	defer admin.Close()
	if err := admin.ClientKillByFilter(t.Context(), "TYPE", "pubsub").Err(); err != nil {
		t.Fatalf("CLIENT KILL TYPE pubsub: %v", err)
	}
	if got := next(t, ch); got != "" {
		t.Fatalf("first message after the connection was killed = %q, want \"\" (resync)", got)
	}
	if err := s.Publish(t.Context(), store.TopicRoutes, "alice/lab"); err != nil {
		t.Fatal(err)
	}
	if got := next(t, ch); got != "alice/lab" {
		t.Fatalf("message after resubscribing = %q, want alice/lab", got)
	}
}

func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case msg, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed")
		}
		return msg
	case <-time.After(10 * time.Second):
		t.Fatal("no message after 10s")
	}
	return ""
}

func TestOptionsValidate(t *testing.T) {
	for _, tt := range []struct {
		name    string
		opts    redis.Options
		wantErr bool
	}{
		{"ok", redis.Options{Addrs: []string{"127.0.0.1:6379"}, Prefix: "spawnhub:"}, false},
		{"no address", redis.Options{}, true},
		{"brace in prefix", redis.Options{Addrs: []string{"127.0.0.1:6379"}, Prefix: "{x}:"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.opts.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate(%+v) = %v, want error %v", tt.opts, err, tt.wantErr)
			}
		})
	}
}

func BenchmarkGetRoute(b *testing.B) {
	s := open(b, startRedis(b), "")
	ctx := context.Background()
	key := store.Key{Namespace: "alice", Name: "lab"}
	if err := s.SetRoute(ctx, key, store.Route{Target: "http://127.0.0.1:1", Namespace: "alice"}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.GetRoute(ctx, key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarkActivity marks a batch of 100 servers per operation, as the
// proxy's activity flusher does.
func BenchmarkMarkActivity(b *testing.B) {
	s := open(b, startRedis(b), "")
	ctx := context.Background()
	marks := make(map[store.Key]time.Time, 100)
	for i := range 100 {
		marks[store.Key{Namespace: fmt.Sprint("ns", i%10), Name: fmt.Sprint("srv", i)}] = time.Now()
	}
	for b.Loop() {
		for k := range marks {
			marks[k] = time.Now()
		}
		if err := s.MarkActivity(ctx, marks); err != nil {
			b.Fatal(err)
		}
	}
}

// TestExpiryUsesKeyTTL checks that tokens and revocations leave Redis by
// themselves, without anyone pruning them.
func TestExpiryUsesKeyTTL(t *testing.T) {
	addr := startRedis(t)
	s := open(t, addr, "ttl:")
	ctx := t.Context()
	hour := time.Now().Add(time.Hour)
	if err := s.CreateToken(ctx, store.Token{ID: "t", Hash: "h", User: "alice", CreatedAt: time.Now(), ExpiresAt: hour}); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "sess", hour); err != nil {
		t.Fatal(err)
	}
	raw := goredis.NewClient(&goredis.Options{Addr: addr})
	defer raw.Close()
	for _, key := range []string{"ttl:token:{h}", "ttl:tokenid:{t}", "ttl:revoked:{sess}"} {
		ttl, err := raw.PTTL(ctx, key).Result()
		if err != nil || ttl <= 0 || ttl > time.Hour {
			t.Errorf("PTTL %s = %v, %v; want between 0 and 1h", key, ttl, err)
		}
	}
}

// TestSubscribersShareOneConnection: a hundred subscribers of one topic
// (say, open progress pages) cost one Redis connection, all get every
// message, and the connection goes when the last one leaves.
func TestSubscribersShareOneConnection(t *testing.T) {
	addr := startRedis(t)
	s := open(t, addr, "")
	admin := goredis.NewClient(&goredis.Options{Addr: addr})
	defer admin.Close()
	pubsubConns := func() int {
		list, err := admin.ClientList(t.Context()).Result()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(list, "cmd=subscribe")
	}
	ctx, cancel := context.WithCancel(t.Context())
	chans := make([]<-chan string, 100)
	for i := range chans {
		ch, err := s.Subscribe(ctx, store.TopicServers)
		if err != nil {
			t.Fatal(err)
		}
		chans[i] = ch
	}
	if n := pubsubConns(); n != 1 {
		t.Errorf("Redis subscription connections for 100 subscribers = %d, want 1", n)
	}
	if err := s.Publish(t.Context(), store.TopicServers, "alice/lab"); err != nil {
		t.Fatal(err)
	}
	for i, ch := range chans {
		if got := next(t, ch); got != "alice/lab" {
			t.Fatalf("subscriber %d got %q, want alice/lab", i, got)
		}
	}
	cancel()
	for _, ch := range chans {
		for range ch { // closed once ctx is done
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for pubsubConns() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := pubsubConns(); n != 0 {
		t.Errorf("subscription connections after every subscriber left = %d, want 0", n)
	}
}
