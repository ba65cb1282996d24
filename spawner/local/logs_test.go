package local

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

// A server that exits while starting fails with a sentence a page can say
// in any language: its code, the exit code, and the log line that says why.
func TestExitDuringStartSaysWhy(t *testing.T) {
	b := newBackend(t, dataDir(t))
	_, _, err := b.Start(context.Background(), server("bad", "crash"), image("crash"), "tok", func(store.Event) {})
	var f *spawner.Failure
	if !errors.As(err, &f) || f.Code != "start.exited" || f.Params["status"] != "3" || !strings.Contains(f.Params["line"], "fatal: no licence") {
		t.Fatalf("Start(crash) = %#v, want start.exited with status 3 and the log's line", err)
	}
	logs, err := b.Logs(context.Background(), server("bad", "crash"), 1<<10)
	if err != nil || !strings.Contains(string(logs), "fatal: no licence") {
		t.Errorf("Logs = %q, %v; want what the server printed", logs, err)
	}
	if _, err := b.Logs(context.Background(), server("never", "crash"), 1<<10); !errors.Is(err, spawner.ErrNoLogs) {
		t.Errorf("Logs of a server that never ran = %v, want ErrNoLogs", err)
	}
}

func TestTellingLine(t *testing.T) {
	for _, tt := range []struct{ name, log, want string }{
		{"an error line before noise", "starting\nError: port busy\nbye\n", "Error: port busy"},
		{"a traceback ends with the exception", "Traceback:\n  File x\nModuleNotFoundError: No module named 'notebook'", "ModuleNotFoundError: No module named 'notebook'"},
		{"no error word: the last line", "one\ntwo\n\n", "two"},
		{"nothing", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := telling(tt.log); got != tt.want {
				t.Errorf("telling(%q) = %q, want %q", tt.log, got, tt.want)
			}
		})
	}
}
