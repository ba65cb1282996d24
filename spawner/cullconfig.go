package spawner

import (
	"errors"
	"fmt"
	"time"
)

// CullConfig says when idle or old servers are stopped (culling.* in the
// configuration). Zero durations turn a rule off.
type CullConfig struct {
	Enabled     bool
	IdleTimeout time.Duration            // for every kind without its own
	ByKind      map[string]time.Duration // idle timeout per kind
	MaxAge      time.Duration            // any server running longer is stopped
	WarnBefore  time.Duration            // how long ahead users are warned
	Interval    time.Duration            // how often every replica sweeps (default 1m)
	DryRun      bool                     // decide and report, but warn and stop nothing
}

// Validate reports every problem at once.
func (c CullConfig) Validate() error {
	var errs []error
	for name, d := range map[string]time.Duration{
		"culling.idleTimeout": c.IdleTimeout, "culling.maxAge": c.MaxAge,
		"culling.warnBefore": c.WarnBefore, "culling.interval": c.Interval,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s: %s is negative", name, d))
		}
	}
	for kind, d := range c.ByKind {
		if d < 0 {
			errs = append(errs, fmt.Errorf("culling.byKind.%s.idleTimeout: %s is negative", kind, d))
		}
	}
	if c.Enabled && c.IdleTimeout == 0 && c.MaxAge == 0 && len(c.ByKind) == 0 {
		errs = append(errs, errors.New("culling: enabled without idleTimeout, byKind or maxAge"))
	}
	return errors.Join(errs...)
}

// idleTimeout is the idle timeout of kind; 0 when idle servers of that
// kind are never culled.
func (c CullConfig) idleTimeout(kind string) time.Duration {
	if d, ok := c.ByKind[kind]; ok {
		return d
	}
	return c.IdleTimeout
}

// shortestIdle is the smallest idle timeout of any kind (0 if none).
func (c CullConfig) shortestIdle() time.Duration {
	least := c.IdleTimeout
	for _, d := range c.ByKind {
		if d > 0 && (least == 0 || d < least) {
			least = d
		}
	}
	return least
}

func (c CullConfig) withDefaults() CullConfig {
	if c.Interval == 0 {
		c.Interval = time.Minute
	}
	return c
}
