package local

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

func TestLookupAccount(t *testing.T) {
	const nobodyUID = 65534 // "nobody": a spawnhub that is not root
	for _, tt := range []struct {
		name, user string
		euid       int
		wantUser   string // "" when an error is wanted
		isolated   bool
		wantErr    string
	}{
		{"root, default", "", 0, DefaultUser, true, ""},
		{"root, root", "root", 0, "", false, "never runs servers as root"},
		{"root, uid 0", "0", 0, "", false, "never runs servers as root"},
		{"root, missing", "no-such-account-here", 0, "", false, "useradd --system"},
		{"not root, default", "", nobodyUID, "", false, ""},
		{"not root, another", DefaultUser, nobodyUID, "", false, "cannot run servers as"},
		{"not root, itself by number", strconv.Itoa(nobodyUID), nobodyUID, "", false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := lookupAccount(tt.user, tt.euid, tt.euid)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("lookupAccount(%q, euid %d) = %+v, %v; want an error with %q", tt.user, tt.euid, a, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				if tt.wantUser == DefaultUser {
					t.Skipf("%s does not exist here (test/run creates it): %v", DefaultUser, err)
				}
				t.Fatal(err)
			}
			if a.Isolated() != tt.isolated || a.UID == 0 && a.Isolated() || (tt.wantUser != "" && a.Name != tt.wantUser) {
				t.Errorf("lookupAccount(%q, euid %d) = %+v, want user %q isolated %v", tt.user, tt.euid, a, tt.wantUser, tt.isolated)
			}
			if !tt.isolated && a.UID != tt.euid {
				t.Errorf("not root: account uid %d, want spawnhub's own %d", a.UID, tt.euid)
			}
		})
	}
}

// TestServersRunAsTheirAccount: spawnhub as root runs a server as the
// server account, in a home folder of that account, with none of
// spawnhub's environment, and keeps its own files out of its reach.
func TestServersRunAsTheirAccount(t *testing.T) {
	if !SwitchesAccount() {
		t.Skip("spawnhub's tests run as root in CI; not root here, servers run as this account")
	}
	t.Setenv("SPAWNHUB_AUTH_SESSIONKEYS", "k1:secret-of-spawnhub-that-no-server-may-see")
	dir := dataDir(t)
	b := newBackend(t, dir)
	acct, err := user.Lookup(DefaultUser)
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := start(t, b, server("iso", "demo"))
	pid, _, _ := parseInstance(srv.Instance)

	if uid := processUID(t, pid); uid != acct.Uid {
		t.Errorf("server runs as uid %s, want %s (%s)", uid, acct.Uid, DefaultUser)
	}
	environ, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Split(string(environ), "\x00")
	for _, e := range env {
		if strings.HasPrefix(e, "SPAWNHUB_AUTH") || strings.Contains(e, "secret-of-spawnhub") {
			t.Errorf("server environment has spawnhub's %q", e)
		}
	}
	if !slices.Contains(env, "JUPYTER_PORT_RETRIES=0") {
		t.Errorf("server environment %q lacks JUPYTER_PORT_RETRIES=0", env)
	}
	for path, want := range map[string]struct {
		owner string
		mode  fs.FileMode
	}{
		b.HomeDir(srv.Key()):               {acct.Uid, ownedMode},
		dir:                                {"0", crossMode},
		filepath.Join(dir, "homes"):        {"0", crossMode},
		filepath.Join(dir, "logs"):         {"0", privateMode},
		filepath.Join(dir, "run"):          {"0", privateMode},
		filepath.Dir(b.LogPath(srv.Key())): {"0", privateMode},
	} {
		owner, mode := ownerAndMode(t, path)
		if owner != want.owner || mode != want.mode {
			t.Errorf("%s: owner %s mode %o, want %s %o", path, owner, mode, want.owner, want.mode)
		}
	}
}

// TestVolumesBelongToTheAccount: volumes are the account's folders, links
// in a home are the account's, and a link a server planted does not lead
// spawnhub outside what the account may write.
func TestVolumesBelongToTheAccount(t *testing.T) {
	if !SwitchesAccount() {
		t.Skip("not root: servers run as this account")
	}
	ctx := context.Background()
	b := newBackend(t, dataDir(t))
	for _, name := range []string{"ws", "data"} {
		if _, err := b.CreateVolume(ctx, "alice", spawner.Volume{Name: name, Size: "4Gi"}); err != nil {
			t.Fatal(err)
		}
	}
	uid := strconv.Itoa(b.Account().UID)
	if owner, mode := ownerAndMode(t, b.VolumeDir("alice", "data")); owner != uid || mode != ownedMode {
		t.Errorf("volume folder: owner %s mode %o, want %s %o", owner, mode, uid, ownedMode)
	}
	// A server made ~/sub a link to a folder only root may write.
	outside := t.TempDir()
	home := b.VolumeDir("alice", "ws")
	if err := os.Symlink(outside, filepath.Join(home, "sub")); err != nil {
		t.Fatal(err)
	}
	srv := server("links", "demo")
	srv.Spec.Workspace = &store.Volume{Name: "ws"}
	srv.Spec.DataVolumes = []store.DataVolume{{Volume: store.Volume{Name: "data"}, MountPath: "/home/jovyan/sub/vol"}}
	srv, _ = start(t, b, srv)
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("spawnhub wrote %v through the planted link", entries)
	}
	srv.Spec.DataVolumes[0].MountPath = "/home/jovyan/vol-1"
	if err := b.Stop(ctx, srv); err != nil {
		t.Fatal(err)
	}
	srv, _ = start(t, b, srv)
	if owner, _ := ownerAndMode(t, filepath.Join(home, "vol-1")); owner != uid {
		t.Errorf("~/vol-1 belongs to uid %s, want the account's %s", owner, uid)
	}
}

func processUID(t *testing.T, pid int) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "Uid:" {
			return f[1]
		}
	}
	t.Fatalf("no Uid in /proc/%d/status", pid)
	return ""
}

func ownerAndMode(t *testing.T, path string) (string, fs.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)), fi.Mode().Perm()
}

// TestSharedAccountWarns: servers that run as spawnhub's own account get
// a warning at start that says what is not protected.
func TestSharedAccountWarns(t *testing.T) {
	var logs strings.Builder
	b := &Backend{acct: Account{Name: "me", UID: 1000}, o: Options{DataDir: "/data"}, log: slog.New(slog.NewTextHandler(&logs, nil))}
	b.warnIfShared()
	for _, want := range []string{"level=WARN", "spawnhub's own account", "session key", "other servers' files", "spawner.local.user"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("warning %q lacks %q", logs.String(), want)
		}
	}
}

// TestUnrunnableExecutableWarns: as root, a spawnhub binary the account
// cannot run is named in a warning at start.
func TestUnrunnableExecutableWarns(t *testing.T) {
	if !SwitchesAccount() {
		t.Skip("not root: servers run as this account")
	}
	dir := filepath.Join(t.TempDir(), "closed")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	closed := filepath.Join(dir, "spawnhub")
	if err := os.WriteFile(closed, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for exe, wantWarning := range map[string]bool{closed: true, testExecutable: false} {
		var logs strings.Builder
		_, err := New(Options{DataDir: dataDir(t),
			Executable: exe, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(logs.String(), "cannot run spawnhub's binary"); got != wantWarning {
			t.Errorf("Executable %s: warning %v, want %v (logs %q)", exe, got, wantWarning, logs.String())
		}
	}
}
