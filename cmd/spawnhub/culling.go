package main

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/spawner/form"
)

// CullingConfig is culling.*: when idle or old servers are stopped.
type CullingConfig struct {
	Enabled     bool                   `yaml:"enabled"`
	IdleTimeout time.Duration          `yaml:"idleTimeout"` // every kind without its own
	ByKind      map[string]KindCulling `yaml:"byKind"`      // culling.byKind.<kind>.idleTimeout
	MaxAge      time.Duration          `yaml:"maxAge"`      // 0: no maximum
	WarnBefore  time.Duration          `yaml:"warnBefore"`  // warning ahead of a cull
	Interval    time.Duration          `yaml:"interval"`    // how often every replica sweeps
	DryRun      bool                   `yaml:"dryRun"`      // decide and log, warn and stop nothing
}

// KindCulling is culling.byKind.<kind>.
type KindCulling struct {
	IdleTimeout time.Duration `yaml:"idleTimeout"`
}

// defaultCulling is off; turned on, servers idle for 4 hours are stopped
// after a warning 15 minutes ahead.
func defaultCulling() CullingConfig {
	return CullingConfig{IdleTimeout: 4 * time.Hour, WarnBefore: 15 * time.Minute, Interval: time.Minute}
}

// spawner is the culler's configuration.
func (c CullingConfig) spawner() spawner.CullConfig {
	out := spawner.CullConfig{
		Enabled: c.Enabled, IdleTimeout: c.IdleTimeout, MaxAge: c.MaxAge,
		WarnBefore: c.WarnBefore, Interval: c.Interval, DryRun: c.DryRun,
	}
	for kind, k := range c.ByKind {
		if out.ByKind == nil {
			out.ByKind = map[string]time.Duration{}
		}
		out.ByKind[kind] = k.IdleTimeout
	}
	return out
}

func (c CullingConfig) validate() error {
	errs := []error{c.spawner().Validate()}
	for kind := range c.ByKind {
		if !slices.Contains(form.Kinds(), kind) {
			errs = append(errs, fmt.Errorf("culling.byKind.%s: not one of %v", kind, form.Kinds()))
		}
	}
	if c.Enabled && c.Interval <= 0 {
		errs = append(errs, errors.New("culling.interval: must be positive"))
	}
	return errors.Join(errs...)
}
