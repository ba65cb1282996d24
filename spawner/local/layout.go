package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Folder modes. spawnhub's own folders (logs, instance files, and the
// folders on the way to the servers' ones) belong to spawnhub; the servers'
// homes and volumes belong to the account. With an isolated account the
// folders on the way can be crossed by it, not listed.
const (
	privateMode fs.FileMode = 0o700
	crossMode   fs.FileMode = 0o711
	ownedMode   fs.FileMode = 0o700
)

// wayMode is the mode of spawnhub's folders on the way to the servers'.
func (b *Backend) wayMode() fs.FileMode {
	if b.acct.isolated {
		return crossMode
	}
	return privateMode
}

// prepare creates the backend's folders with their modes and checks that
// the account can reach the servers' folders.
func (b *Backend) prepare() error {
	dirs := []struct {
		path string
		mode fs.FileMode
	}{
		{b.o.DataDir, b.wayMode()},
		{filepath.Join(b.o.DataDir, "logs"), privateMode},
		{filepath.Join(b.o.DataDir, "run"), privateMode},
		{filepath.Join(b.o.DataDir, "homes"), b.wayMode()},
		{filepath.Join(b.o.DataDir, "volumes"), b.wayMode()},
	}
	for _, d := range dirs {
		if err := mkdirMode(d.path, d.mode); err != nil {
			return fmt.Errorf("local backend: %w", err)
		}
	}
	if !b.acct.isolated {
		return nil
	}
	return b.checkReachable(filepath.Join(b.o.DataDir, "homes"))
}

// mkdirMode creates dir if needed and gives it mode (MkdirAll leaves an
// existing folder's mode alone).
func mkdirMode(dir string, mode fs.FileMode) error {
	if err := os.MkdirAll(dir, mode); err != nil {
		return err
	}
	return os.Chmod(dir, mode)
}

// checkReachable fails, naming the folder in the way, when the account
// cannot cross every folder down to dir.
func (b *Backend) checkReachable(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	var blocked string
	err = b.acct.do(func() error {
		_, err := os.Stat(abs)
		if !errors.Is(err, fs.ErrPermission) {
			return err
		}
		// The lowest folder the account can see is the one it cannot cross.
		for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
			if _, err := os.Stat(p); err == nil || p == filepath.Dir(p) {
				blocked = p
				return err
			}
		}
	})
	if err != nil {
		return fmt.Errorf("local backend: %w", err)
	}
	if blocked == "" {
		return nil
	}
	mode := "unknown mode"
	if fi, serr := os.Stat(blocked); serr == nil {
		mode = fmt.Sprintf("mode %o", fi.Mode().Perm())
	}
	return fmt.Errorf("local backend: servers run as %s, which cannot reach %s: %s is closed to it (%s); give spawnhub a data folder on a path the account can cross, e.g. /var/lib/spawnhub",
		b.acct.Name, abs, blocked, mode)
}

// serverDir makes dir (a home folder or a volume) a folder of the account
// inside a folder of spawnhub's. With create, an existing dir is an error
// (fs.ErrExist); without, it is accepted if it is the account's.
func (b *Backend) serverDir(dir string, create bool) error {
	if err := mkdirMode(filepath.Dir(dir), b.wayMode()); err != nil {
		return err
	}
	err := os.Mkdir(dir, ownedMode)
	switch {
	case err == nil:
		if b.acct.isolated {
			return os.Lchown(dir, b.acct.UID, b.acct.GID)
		}
		return nil
	case create || !errors.Is(err, fs.ErrExist):
		return err
	}
	return b.checkOwned(dir)
}

// checkOwned accepts an existing folder only if it is a folder of the
// account (not a link; not a folder of spawnhub's from before servers ran
// as the account, which the operator must hand over).
func (b *Backend) checkOwned(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if b.acct.isolated && ok && int(st.Uid) != b.acct.UID {
		return fmt.Errorf("%s belongs to uid %d, not to %s, which runs the servers (chown -R %s it)", dir, st.Uid, b.acct.Name, b.acct.Name)
	}
	return nil
}
