package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/kube"
	"github.com/spawnhub/spawnhub/spawner/local"
	"github.com/spawnhub/spawnhub/spawner/local/demo"
	"github.com/spawnhub/spawnhub/store"
	"github.com/spawnhub/spawnhub/store/memory"
	"github.com/spawnhub/spawnhub/store/redis"
)

// demoCommand is the hidden subcommand that runs the built-in demo server.
const demoCommand = demo.Subcommand

func runDemo(ctx context.Context, args []string) error {
	return demo.Main(ctx, args, os.Getenv, os.Stderr)
}

// openStore connects to the configured store. The memory store starts from
// the snapshot its previous run left in the data directory.
func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.Store.Driver == "memory" {
		st := memory.New()
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
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
	st, err := redis.New(ctx, redis.Options{Addrs: addrs, Password: r.Password, DB: r.DB, MasterName: r.MasterName, Prefix: r.Prefix})
	if err != nil {
		return nil, fmt.Errorf("redis store: %w", err)
	}
	return st, nil
}

// newManager builds the spawner with the configured backend; run, when not
// nil, is the backend's part of the replica (its watches).
func newManager(cfg Config, st store.Store, log *slog.Logger) (mgr *spawner.Manager, run func(context.Context) error, err error) {
	sc := cfg.Spawner.Config
	opts := []spawner.Option{spawner.WithLogger(log), spawner.WithOwner(ownerName(cfg))}
	if cfg.Spawner.Backend == "kubernetes" {
		kb, err := kube.New(kube.Options{
			Config: kubeConfig(cfg.Spawner), Images: sc.Image, Events: st, Leases: st, Records: st,
			Identity: ownerName(cfg), Logger: log,
		})
		if err != nil {
			return nil, nil, err
		}
		return spawner.NewManager(st, kb, sc, opts...), kb.Run, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, fmt.Errorf("find own executable: %w", err)
	}
	backend, err := local.New(local.Options{
		DataDir: filepath.Join(cfg.DataDir, "local"), Images: sc.Image, Executable: exe, Logger: log,
	})
	if err != nil {
		return nil, nil, err
	}
	return spawner.NewManager(st, backend, sc, opts...), nil, nil
}

// kubeConfig is spawner.kubernetes, with the GPU placement of spawner.gpu
// where spawner.kubernetes.gpu leaves it out.
func kubeConfig(sc SpawnerConfig) kube.Config {
	kc := sc.Kubernetes
	if kc.GPU.Resource == "" {
		kc.GPU.Resource = sc.GPU.Resource
	}
	if kc.GPU.NodeSelector == nil {
		kc.GPU.NodeSelector = sc.GPU.NodeSelector
	}
	if kc.GPU.Tolerations == nil {
		for _, t := range sc.GPU.Tolerations {
			kc.GPU.Tolerations = append(kc.GPU.Tolerations, kube.Toleration{Key: t.Key, Operator: t.Operator, Value: t.Value, Effect: t.Effect})
		}
	}
	return kc
}

// ownerName names this replica in records it works on; stable across
// restarts so that a restarted replica resumes its own queued starts.
func ownerName(cfg Config) string {
	return hostname() + ":" + cfg.Listen
}

// snapshotPath is where the memory store keeps its state between runs.
func snapshotPath(cfg Config) string { return filepath.Join(cfg.DataDir, "state.json") }

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
