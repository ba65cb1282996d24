package spawner

import (
	"context"
	"fmt"

	"github.com/spawnhub/spawnhub/store"
)

// KeepRunning is the "keep it running" button of a culler's warning: it
// counts as activity now, which cancels the warning.
func (m *Manager) KeepRunning(ctx context.Context, ns, name string) error {
	srv, err := m.Get(ctx, ns, name)
	if err != nil {
		return err
	}
	if srv.Phase != store.PhaseRunning {
		return fmt.Errorf("keep %s/%s running: it is %s: %w", ns, name, srv.Phase, store.ErrConflict)
	}
	mark := map[store.Key]store.Mark{srv.Key(): {At: m.now(), Source: store.SourceKeep}}
	if err := m.st.RecordActivity(ctx, mark); err != nil {
		return fmt.Errorf("keep %s/%s running: %w", ns, name, err)
	}
	m.say(ctx, srv.Key(), store.EventNormal, "KeptRunning", sayKept)
	return nil
}

// KeepRunning is the manager's KeepRunning, for callers that hold the
// culler.
func (c *Culler) KeepRunning(ctx context.Context, ns, name string) error {
	return c.m.KeepRunning(ctx, ns, name)
}
