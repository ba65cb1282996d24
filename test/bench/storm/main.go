// Command storm measures a class starting at once: R `spawnhub serve`
// replicas on one Redis (loopback only), N users who sign in and launch a
// server each within a short window and follow it on its progress stream
// (server-sent events, one request each), until every server runs. For each N
// it reports launches per second, the time until all run, the latency of
// GET /api/v1/me during the storm (p50, p99), errors and 429s, and the
// Redis commands per launch (INFO commandstats before and after).
//
//	go run ./test/bench/storm [-n 20,100] [-replicas 3] [-window 10s]
//
// The backend is the local one with the built-in demo server: every launch
// is a real process. Every process the tool starts is stopped by pid, and
// every server is stopped through the API, before it exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options are the tool's flags.
type Options struct {
	Counts   []int
	Replicas int
	Window   time.Duration // users arrive evenly over it
	Timeout  time.Duration // bound of one round
	Probes   time.Duration // interval of the GET /api/v1/me probes
	Starts   int           // spawner.maxConcurrentStarts of each replica
	// KillAt, when > 0, kills the first replica with SIGKILL once that many
	// launches were accepted; its users go on through the other replicas,
	// and it is started again after the round.
	KillAt int
	// Kubeconfig, when set, runs the kubernetes backend on that cluster
	// instead of local processes; KubeCalls then reads the API server's
	// count of requests served (apiserver_request_total).
	Kubeconfig string
	// Jupyter launches real Jupyter Notebook servers (Debian's
	// jupyter-notebook) on the local backend instead of the demo server.
	Jupyter   bool
	KubeCalls func(ctx context.Context) (int64, error)
	// OnRow, when set, is told each round's numbers as soon as it ends.
	OnRow func(Row)
}

func main() {
	var o Options
	var counts string
	flag.StringVar(&counts, "n", "20,100", "comma-separated numbers of users launching")
	flag.IntVar(&o.Replicas, "replicas", 3, "spawnhub replicas on one Redis")
	flag.DurationVar(&o.Window, "window", 10*time.Second, "users arrive evenly within it")
	flag.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "bound of one round")
	flag.DurationVar(&o.Probes, "probe-every", 20*time.Millisecond, "interval of the GET /api/v1/me probes")
	flag.IntVar(&o.Starts, "starts", 8, "spawner.maxConcurrentStarts of each replica")
	flag.BoolVar(&o.Jupyter, "jupyter", false, "launch Jupyter Notebook servers (Debian's jupyter-notebook) instead of the demo server")
	flag.IntVar(&o.KillAt, "kill-at", 0, "kill the first replica with SIGKILL after this many launches (0: never)")
	flag.Parse()
	for _, s := range strings.Split(counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "-n: %q is not a positive number\n", s)
			os.Exit(2)
		}
		o.Counts = append(o.Counts, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	rows, err := Run(ctx, o, log)
	writeTable(os.Stdout, o, rows)
	if err != nil {
		log.Error("storm", "err", err)
		os.Exit(1)
	}
}

// Run starts Redis and the replicas once, then runs one round per count.
func Run(ctx context.Context, o Options, log *slog.Logger) ([]Row, error) {
	dir, err := os.MkdirTemp("", "storm-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // servers run as their own account and exec the binary
		return nil, err
	}
	env, err := startEnv(ctx, dir, o, log)
	if err != nil {
		return nil, err
	}
	defer env.close()
	var rows []Row
	for i, n := range o.Counts {
		log.Info("round", "users", n)
		row, err := env.round(ctx, fmt.Sprintf("r%d", i), n, o)
		rows = append(rows, row)
		if o.OnRow != nil {
			o.OnRow(row)
		}
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}
