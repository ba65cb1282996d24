package redis_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/redis"
	"github.com/spawnhub/spawnhub/store/storetest"
	"github.com/spawnhub/spawnhub/test/poll"
)

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// startCluster starts a Redis Cluster of three masters (Debian's
// redis-server with --cluster-enabled), each owning a third of the slots,
// and returns their addresses once every node says the cluster is ok.
func startCluster(t *testing.T) []string {
	t.Helper()
	addrs := make([]string, 3)
	nodes := make([]*goredis.Client, 3)
	for i := range addrs {
		addrs[i] = startRedis(t, "--cluster-enabled", "yes", "--cluster-node-timeout", "2000")
		nodes[i] = goredis.NewClient(&goredis.Options{Addr: addrs[i]})
		t.Cleanup(func() { _ = nodes[i].Close() })
	}
	ctx := t.Context()
	for i, n := range nodes {
		lo, hi := i*clusterSlots/3, (i+1)*clusterSlots/3-1
		if err := n.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			t.Fatalf("node %d: set config epoch: %v", i, err)
		}
		if err := n.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			t.Fatalf("node %d: add slots %d-%d: %v", i, lo, hi, err)
		}
	}
	for _, addr := range addrs[1:] {
		host, port, _ := net.SplitHostPort(addr)
		if err := nodes[0].ClusterMeet(ctx, host, port).Err(); err != nil {
			t.Fatalf("cluster meet %s: %v", addr, err)
		}
	}
	poll.UntilNil(t, 30*time.Second, func() error {
		for i, n := range nodes {
			info, err := n.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
				return fmt.Errorf("node %d not ready: %s", i, strings.Fields(info)[0])
			}
		}
		return nil
	})
	return addrs
}

// openCluster connects a store to the cluster, with a prefix of its own.
func openCluster(tb testing.TB, addrs []string) *redis.Store {
	tb.Helper()
	s, err := redis.New(context.Background(), redis.Options{Addrs: addrs, Prefix: fmt.Sprintf("test%d:", prefixes.Add(1))})
	if err != nil {
		tb.Fatalf("redis.New on the cluster: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// TestContractOnCluster runs the whole store contract on a real
// three-master Redis Cluster: every script's keys share a slot, pipelines
// across slots are split, and pub/sub reaches clients of other nodes.
func TestContractOnCluster(t *testing.T) {
	addrs := startCluster(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openCluster(t, addrs) })
	for _, addr := range addrs { // the suite's keys really spread over the masters
		n := goredis.NewClient(&goredis.Options{Addr: addr})
		size, err := n.DBSize(t.Context()).Result()
		_ = n.Close()
		if err != nil || size == 0 {
			t.Errorf("node %s holds %d keys (%v) after the suite, want some", addr, size, err)
		}
	}
}
