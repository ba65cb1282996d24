package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
	"github.com/spawnhub/spawnhub/store/redis"
)

// openStore connects to the configured store. The memory store starts from
// the snapshot its previous run left in the data directory.
func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.Store.Driver == "memory" {
		st := memory.New()
		if err := os.MkdirAll(privateDir(cfg), 0o700); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		if err := st.RestoreFile(snapshotPath(cfg)); err != nil {
			return nil, err
		}
		return st, nil
	}
	r := cfg.Store.Redis
	addrs := r.Addrs
	if r.Addr != "" {
		addrs = append([]string{r.Addr}, addrs...)
	}
	st, err := redis.New(ctx, redis.Options{Addrs: addrs, Password: r.Password, DB: r.DB, MasterName: r.MasterName, Prefix: r.Prefix,
		Observe: observeStore})
	if err != nil {
		return nil, fmt.Errorf("redis store: %w", err)
	}
	return st, nil
}

// snapshotPath is where the memory store keeps its state between runs
// (it holds every server's token).
func snapshotPath(cfg Config) string { return filepath.Join(privateDir(cfg), "state.json") }

// snapshotter is a store that can save itself to a file (memory).
type snapshotter interface {
	SaveFile(path string) error
}

// snapshotEvery bounds what a crash of the embedded default loses.
const snapshotEvery = 5 * time.Second

// saveSnapshots saves the memory store every snapshotEvery until ctx is
// done; the last save happens after the server has drained (in serve).
func saveSnapshots(ctx context.Context, st snapshotter, path string, log *slog.Logger) error {
	t := time.NewTicker(snapshotEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := st.SaveFile(path); err != nil {
				log.Warn("save memory store", "err", err)
			}
		}
	}
}

// storeLatency is the time of each Redis command, for dashboards.
var storeLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "spawnhub_store_duration_seconds",
	Help:    "Time of each store (Redis) command or pipeline, by command and outcome.",
	Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
}, []string{"command", "outcome"})

func observeStore(command string, d time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	storeLatency.WithLabelValues(command, outcome).Observe(d.Seconds())
}

// reindexer is a store whose administrators' index can lack records
// written by an older spawnhub (Redis).
type reindexer interface {
	Reindex(ctx context.Context) (int, error)
}

// reindex completes the administrators' index at start; a failure only
// leaves those servers out of the console until they change.
func reindex(ctx context.Context, st store.Store, log *slog.Logger) {
	r, ok := st.(reindexer)
	if !ok {
		return
	}
	n, err := r.Reindex(ctx)
	if err != nil {
		log.Warn("administrators' index not completed", "err", err)
	} else if n > 0 {
		log.Info("administrators' index completed", "servers", n)
	}
}
