// Package local runs each server as a process on this machine, listening on
// a 127.0.0.1 port of its own, for the embedded default. Servers run as an
// Account that is not spawnhub's when spawnhub runs as root (DefaultUser;
// never root), so that they cannot read spawnhub's files or process; a
// server is accepted as ready only from its own process. Volumes are folders
// <DataDir>/volumes/<ns>/<volume> (the Backend is a spawner.VolumeStore);
// a server's home folder is its workspace volume (<DataDir>/homes/<ns>/<server>
// when its spec has none) and its data volumes are symbolic links in it.
// Each server has a log <DataDir>/logs/<ns>/<server>.log (stdout and stderr
// of the current run) and its own process group. Processes survive a restart of spawnhub:
// the instance id "<pid>:<start time>" in the record lets a new Backend on
// the same DataDir find them in /proc, tell a recycled pid, and stop them.
// Only processes started by this Backend are watched for unexpected exits;
// after a restart the reconciler notices them through Alive.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

// Options configure a Backend.
type Options struct {
	// DataDir holds the homes, logs and instance files.
	DataDir string
	// Executable is the spawnhub binary, for {{.Executable}} (the demo
	// server).
	Executable string
	// Env is the base environment of every server (main passes what it
	// wants servers to inherit, such as PATH); nil gives a standard PATH.
	// Never spawnhub's own environment.
	Env []string
	// User is the account servers run as (see LookupAccount): DefaultUser
	// when empty and spawnhub runs as root; spawnhub's own account when it
	// does not run as root.
	User   string
	Host   string        // address servers listen on; 127.0.0.1 when empty
	Grace  time.Duration // between SIGTERM and SIGKILL; 10s when 0
	Logger *slog.Logger
}

// Backend is the local-process backend; it implements spawner.Backend,
// spawner.ExitNotifier, spawner.VolumeStore and spawner.VolumeDeleter.
type Backend struct {
	o     Options
	log   *slog.Logger
	acct  Account
	ports ports

	mu      sync.Mutex
	onExit  spawner.ExitHandler
	running map[string]*proc // children of this process, by instance
}

// The capabilities cmd gives the manager, checked here at compile time.
var (
	_ spawner.Backend       = (*Backend)(nil)
	_ spawner.ExitNotifier  = (*Backend)(nil)
	_ spawner.VolumeStore   = (*Backend)(nil)
	_ spawner.VolumeDeleter = (*Backend)(nil)
)

// New returns a backend that keeps its files under o.DataDir.
func New(o Options) (*Backend, error) {
	if o.DataDir == "" {
		return nil, errors.New("local backend: DataDir is required")
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Grace == 0 {
		o.Grace = 10 * time.Second
	}
	if o.Env == nil {
		o.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	acct, err := LookupAccount(o.User)
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	b := &Backend{o: o, log: o.Logger.With("component", "local-backend"), acct: acct, running: map[string]*proc{}}
	if err := b.prepare(); err != nil {
		return nil, err
	}
	b.warnIfShared()
	b.warnIfUnrunnable()
	return b, nil
}

// warnIfUnrunnable says at start when the account cannot run spawnhub's
// binary, which the demo image runs (go run builds it in a folder only
// its owner may enter).
func (b *Backend) warnIfUnrunnable() {
	if !b.acct.isolated || b.o.Executable == "" {
		return
	}
	err := b.acct.do(func() error { return unix.Faccessat(unix.AT_FDCWD, b.o.Executable, unix.X_OK, unix.AT_EACCESS) })
	if err != nil {
		b.log.Warn("the account servers run as cannot run spawnhub's binary, so images that run it (the demo server, the desktop) will not start; install it where that account can, e.g. /usr/local/bin",
			"user", b.acct.Name, "executable", b.o.Executable, "err", err)
	}
}

// warnIfShared says at start what is not protected when servers run as
// spawnhub's own account.
func (b *Backend) warnIfShared() {
	if b.acct.isolated {
		b.log.Info("servers run as their own account", "user", b.acct.Name, "uid", b.acct.UID)
		return
	}
	b.log.Warn("servers run as spawnhub's own account, because spawnhub does not run as root: "+
		"its process stays unreadable through /proc and its secrets are not in its environment, "+
		"but every server can read and change every file of that account, including spawnhub's data folder "+
		"(session key, memory-store snapshot with every server's token) and the other servers' files; "+
		"run spawnhub as root to run servers as a separate account (spawner.local.user)",
		"user", b.acct.Name, "uid", b.acct.UID, "dataDir", b.o.DataDir)
}

// Account is the account servers run as.
func (b *Backend) Account() Account { return b.acct }

// SetExitHandler implements spawner.ExitNotifier.
func (b *Backend) SetExitHandler(h spawner.ExitHandler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onExit = h
}

// HomeDir is the home folder of a server whose spec has no workspace
// volume.
func (b *Backend) HomeDir(key store.Key) string {
	return filepath.Join(b.o.DataDir, "homes", key.Namespace, key.Name)
}

// LogPath is the server's log file.
func (b *Backend) LogPath(key store.Key) string {
	return filepath.Join(b.o.DataDir, "logs", key.Namespace, key.Name+".log")
}

func (b *Backend) instancePath(key store.Key) string {
	return filepath.Join(b.o.DataDir, "run", key.Namespace, key.Name+".instance")
}

// checkKey refuses names that are not one plain path element.
func checkKey(key store.Key) error {
	for _, s := range []string{key.Namespace, key.Name} {
		if s == "" || s != filepath.Base(s) || !filepath.IsLocal(s) {
			return fmt.Errorf("local backend: %q is not a usable name", s)
		}
	}
	return nil
}

// Alive implements spawner.Backend: srv.Instance is a live process.
func (b *Backend) Alive(ctx context.Context, srv store.Server) (bool, error) {
	if srv.Instance == "" {
		return false, nil
	}
	pid, start, err := parseInstance(srv.Instance)
	if err != nil {
		return false, err
	}
	return processAlive(pid, start), nil
}

// DeleteVolumes implements spawner.VolumeDeleter: it removes the home
// folder and the log.
func (b *Backend) DeleteVolumes(ctx context.Context, srv store.Server) error {
	key := srv.Key()
	if err := checkKey(key); err != nil {
		return err
	}
	if err := os.RemoveAll(b.HomeDir(key)); err != nil {
		return fmt.Errorf("delete home of %s: %w", key, err)
	}
	if err := os.Remove(b.LogPath(key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete log of %s: %w", key, err)
	}
	return nil
}
