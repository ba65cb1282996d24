package spawner

import (
	"context"
	"errors"
	"fmt"

	"github.com/spawnhub/spawnhub/store"
)

// ErrNoLogs is the answer for a backend that keeps no logs, or a server
// that has none yet.
var ErrNoLogs = errors.New("spawner: no logs")

// LogReader is a Backend that keeps what servers print: the local
// process's log, the Kubernetes container's log.
type LogReader interface {
	// Logs returns at most the last maxBytes of the server's output
	// (its current or last run); ErrNoLogs if there is none.
	Logs(ctx context.Context, srv store.Server, maxBytes int) ([]byte, error)
}

// WithLogReader has Logs read servers' output through l (default: no
// logs, ErrNoLogs).
func WithLogReader(l LogReader) Option { return func(m *Manager) { m.logs = l } }

// LogLimit is how much of a server's output Logs returns at most.
const LogLimit = 64 << 10

// Logs returns the end of a server's output (at most LogLimit bytes).
func (m *Manager) Logs(ctx context.Context, ns, name string) ([]byte, error) {
	srv, err := m.Get(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if m.logs == nil {
		return nil, ErrNoLogs
	}
	b, err := m.logs.Logs(ctx, srv, LogLimit)
	if err != nil && !errors.Is(err, ErrNoLogs) {
		return nil, fmt.Errorf("logs of %s: %w", srv.Key(), err)
	}
	return b, err
}
