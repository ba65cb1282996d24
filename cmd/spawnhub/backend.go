package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/kube"
	"github.com/spawnhub/spawnhub/spawner/local"
	"github.com/spawnhub/spawnhub/spawner/local/demo"
	"github.com/spawnhub/spawnhub/spawner/local/desktop"
	"github.com/spawnhub/spawnhub/store"
)

// demoCommand is the hidden subcommand that runs the built-in demo server.
const demoCommand = demo.Subcommand

func runDemo(ctx context.Context, args []string) error {
	return demo.Main(ctx, args, os.Getenv, os.Stderr)
}

// desktopCommand is the hidden subcommand that runs a remote desktop.
const desktopCommand = desktop.Subcommand

func runDesktop(ctx context.Context, args []string) error {
	return desktop.Main(ctx, args, os.Environ(), os.Stderr)
}

// newManager builds the spawner with the configured backend and every
// capability it has (each backend checks at compile time that it has
// them); run, when not nil, is the backend's part of the replica (its
// watches).
func newManager(cfg Config, st store.Store, log *slog.Logger, reg prometheus.Registerer, extra ...spawner.Option) (mgr *spawner.Manager, run func(context.Context) error, err error) {
	sc := cfg.Spawner.Config
	opts := append([]spawner.Option{spawner.WithLogger(log), spawner.WithOwner(ownerName(cfg)), spawner.WithQuotas(cfg.Quotas),
		spawner.WithBackendName(cfg.Spawner.Backend), spawner.WithClaimTTL(cfg.Spawner.ClaimTTL), spawner.WithMetrics(reg)}, extra...)
	if cfg.Spawner.Backend == "kubernetes" {
		kb, err := kube.New(kube.Options{
			Config: kubeConfig(cfg.Spawner), Events: st, Leases: st, Records: st,
			Identity: ownerName(cfg), Logger: log,
		})
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, spawner.WithVolumeStore(kb), spawner.WithExitNotifier(kb), spawner.WithVolumeDeleter(kb), spawner.WithLogReader(kb))
		return spawner.NewManager(st, kb, sc, opts...), kb.Run, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, fmt.Errorf("find own executable: %w", err)
	}
	backend, err := local.New(local.Options{
		DataDir: filepath.Join(cfg.DataDir, "local"), Executable: exe, Logger: log,
		User: cfg.Spawner.Local.User,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("spawner.local: %w", err)
	}
	opts = append(opts, spawner.WithVolumeStore(backend), spawner.WithExitNotifier(backend), spawner.WithVolumeDeleter(backend),
		spawner.WithLogReader(backend))
	return spawner.NewManager(st, backend, sc, opts...), nil, nil
}

// kubeConfig is spawner.kubernetes, with the GPU placement of spawner.gpu
// (and its vendors) where spawner.kubernetes.gpu leaves it out.
func kubeConfig(sc SpawnerConfig) kube.Config {
	kc := sc.Kubernetes
	if kc.GPU.Resource == "" {
		kc.GPU.Resource = sc.GPU.Resource
	}
	if kc.GPU.NodeSelector == nil {
		kc.GPU.NodeSelector = sc.GPU.NodeSelector
	}
	if kc.GPU.Tolerations == nil {
		kc.GPU.Tolerations = sc.GPU.Tolerations
	}
	if kc.GPU.Vendors == nil {
		kc.GPU.Vendors = sc.GPU.Vendors
	}
	return kc
}

// ownerName names this replica in records it works on; stable across
// restarts so that a restarted replica resumes its own queued starts.
func ownerName(cfg Config) string {
	return hostname() + ":" + cfg.Listen
}

// validateGPUPlacement checks spawner.gpu's placement (its resource, node
// selector, tolerations and those of its vendors) as Kubernetes will read
// them.
func (sc SpawnerConfig) validateGPUPlacement() error {
	g := sc.GPU
	return kube.GPUConfig{Resource: g.Resource, NodeSelector: g.NodeSelector, Tolerations: g.Tolerations, Vendors: g.Vendors}.Validate("spawner.gpu.")
}
