package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

// Logs implements spawner.LogReader: the end of the server's log file,
// which holds what its last run printed.
func (b *Backend) Logs(_ context.Context, srv store.Server, maxBytes int) ([]byte, error) {
	if err := checkKey(srv.Key()); err != nil {
		return nil, err
	}
	f, err := os.Open(b.LogPath(srv.Key()))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, spawner.ErrNoLogs
	}
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > int64(maxBytes) {
		if _, err := f.Seek(st.Size()-int64(maxBytes), io.SeekStart); err != nil {
			return nil, fmt.Errorf("local backend: %w", err)
		}
	}
	out, err := io.ReadAll(io.LimitReader(f, int64(maxBytes)))
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	return out, nil
}

// exitFailure says in one sentence why a server ended: its exit status and
// the line of its log that most likely tells why (the last one that
// mentions an error, else the last one). The error keeps the log's tail.
func exitFailure(code, text string, waitErr error, log string) error {
	lines := tail(log, tailLines)
	return spawner.Fail(spawner.Say(code, fmt.Sprintf("%s (%s); last lines of its log:\n%s", text, exitText(waitErr), lines),
		"status", exitCode(waitErr), "line", telling(lines)), waitErr)
}

// exitCode is the process's exit code, or the signal that ended it.
func exitCode(err error) string {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return "0"
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal().String()
	}
	return strconv.Itoa(ee.ExitCode())
}

// errorWords mark a log line that explains a failure.
var errorWords = []string{"error", "fatal", "denied", "not found", "no such", "cannot", "failed", "exception"}

// telling is the line of lines that most likely says what went wrong.
func telling(lines string) string {
	all := strings.Split(lines, "\n")
	last := ""
	for i := len(all) - 1; i >= 0; i-- {
		l := strings.TrimSpace(all[i])
		if l == "" || strings.HasPrefix(l, "(no log") {
			continue
		}
		if last == "" {
			last = l
		}
		low := strings.ToLower(l)
		for _, w := range errorWords {
			if strings.Contains(low, w) {
				return clip(l)
			}
		}
	}
	return clip(last)
}

// clip keeps a quoted log line short enough for one sentence.
func clip(l string) string {
	const max = 200
	if len(l) > max {
		return l[:max] + "…"
	}
	return l
}
