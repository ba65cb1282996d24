package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spawnhub/spawnhub/test/kubeenv"
)

// TestSmallStorm is the normal suite's small version of the load test: 3
// replicas on one Redis, 10 users launching a real demo server each
// within a second: all run, no error, no 429.
func TestSmallStorm(t *testing.T) {
	requireRedis(t)
	o := Options{Counts: []int{10}, Replicas: 3, Window: time.Second, Timeout: 2 * time.Minute,
		Probes: 20 * time.Millisecond, Starts: 8}
	rows, err := Run(t.Context(), o, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var out bytes.Buffer
	writeTable(&out, o, rows)
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[0]; r.Running != 10 || r.Errors != 0 || r.TooMany != 0 {
		t.Errorf("%d of 10 running, %d errors, %d 429s (first error: %s); want all running, none", r.Running, r.Errors, r.TooMany, r.FirstError)
	}
}

// TestStormOnKubernetes is the load test on the Kubernetes test cluster
// (kwok pods cost no processes). It is not part of the normal suite: set
// SPAWNHUB_STORM to the counts, e.g.
//
//	SPAWNHUB_STORM=100,500,1000 go test -run StormOnKubernetes -v -timeout 60m ./test/bench/storm/
//
// SPAWNHUB_STORM_WINDOW (default 60s) is the arrival window and
// SPAWNHUB_STORM_STARTS (default 16) each replica's maxConcurrentStarts;
// SPAWNHUB_STORM_KILL_AT=K kills the first replica with SIGKILL once K
// launches were accepted.
func TestStormOnKubernetes(t *testing.T) {
	counts := os.Getenv("SPAWNHUB_STORM")
	if counts == "" {
		t.Skip("set SPAWNHUB_STORM=100,500,1000 to run the load test on Kubernetes")
	}
	requireRedis(t)
	// Pods get loopback addresses from a /16 (a /24 holds 254), on one
	// more node that takes 2,000 pods of 100m CPU (kwok's default node
	// takes 110, and 32 CPUs).
	env := kubeenv.Start(t, kubeenv.Options{PodCIDR: fmt.Sprintf("127.%d.0.0/16", 200+rand.IntN(50))})
	if _, err := env.AddNode(t.Context(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "storm"},
		Status: corev1.NodeStatus{Capacity: corev1.ResourceList{
			"pods": resource.MustParse("2000"), "cpu": resource.MustParse("400"), "memory": resource.MustParse("1Ti")}}}); err != nil {
		t.Fatal(err)
	}
	o := Options{Replicas: 3, Window: 60 * time.Second, Timeout: 20 * time.Minute, Probes: 20 * time.Millisecond, Starts: 16,
		Kubeconfig: env.Kubeconfig,
		OnRow: func(r Row) {
			t.Logf("%d launches: %d running, %d errors, %d 429s, all running after %s, GET /api/v1/me p50 %s p99 %s, %d progress streams, %.1f Redis commands and %.1f Kubernetes API calls per launch",
				r.Users, r.Running, r.Errors, r.TooMany, r.Elapsed, r.MeP50, r.MeP99, r.Streams, r.RedisPerLaun, r.KubePerLaun)
		},
		KubeCalls: func(ctx context.Context) (int64, error) {
			raw, err := env.Admin.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
			if err != nil {
				return 0, err
			}
			return sumMetric(raw, "apiserver_request_total"), nil
		}}
	if w := os.Getenv("SPAWNHUB_STORM_WINDOW"); w != "" {
		d, err := time.ParseDuration(w)
		if err != nil {
			t.Fatalf("SPAWNHUB_STORM_WINDOW: %v", err)
		}
		o.Window = d
	}
	if v := os.Getenv("SPAWNHUB_STORM_STARTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("SPAWNHUB_STORM_STARTS: %q is not a positive number", v)
		}
		o.Starts = n
	}
	if v := os.Getenv("SPAWNHUB_STORM_KILL_AT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("SPAWNHUB_STORM_KILL_AT: %q is not a positive number", v)
		}
		o.KillAt = n
	}
	for _, s := range strings.Split(counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("SPAWNHUB_STORM: %q is not a number", s)
		}
		o.Counts = append(o.Counts, n)
	}
	rows, err := Run(t.Context(), o, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	var out bytes.Buffer
	writeTable(&out, o, rows)
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Running != r.Users || r.TooMany != 0 {
			t.Errorf("%d launches: %d running, %d errors, %d 429s (first error: %s)", r.Users, r.Running, r.Errors, r.TooMany, r.FirstError)
		}
	}
}

// sumMetric adds up every series of a counter in Prometheus text format.
func sumMetric(raw []byte, name string) int64 {
	var total float64
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			total += v
		}
	}
	return int64(total)
}

func requireRedis(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/redis-server"); err != nil {
		if os.Getenv("SPAWNHUB_TEST_ALLOW_SKIP") == "1" {
			t.Skip("redis-server is not installed (SPAWNHUB_TEST_ALLOW_SKIP=1)")
		}
		t.Fatal("redis-server is not installed")
	}
}
