package local

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// DefaultUser is the account servers run as when spawnhub runs as root
// and Options.User is empty. It must exist (useradd --system).
const DefaultUser = "spawnhub-server"

// Account is the system account servers run as. When it is not
// spawnhub's own (isolated), servers get its credentials and spawnhub
// works in the servers' folders as that account, so that a server can
// neither read spawnhub's files nor trick it into writing elsewhere.
type Account struct {
	Name     string
	UID, GID int
	isolated bool
}

// SwitchesAccount reports whether servers run as an account other than
// spawnhub's: exactly when spawnhub runs as root, since only root can
// switch, and root never runs servers as root.
func SwitchesAccount() bool { return os.Geteuid() == 0 }

// LookupAccount resolves the account servers run as: name, or DefaultUser
// when spawnhub runs as root and name is empty, or spawnhub's own account
// when it does not run as root (it cannot switch).
func LookupAccount(name string) (Account, error) {
	return lookupAccount(name, os.Geteuid(), os.Getegid())
}

func lookupAccount(name string, euid, egid int) (Account, error) {
	if euid != 0 {
		return ownAccount(name, euid, egid)
	}
	if name == "" {
		name = DefaultUser
	}
	u, err := findUser(name)
	if err != nil {
		return Account{}, fmt.Errorf("no account %q to run servers as; create it (useradd --system --shell /usr/sbin/nologin %s) or name another: %w", name, name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if uid == 0 {
		return Account{}, fmt.Errorf("account %q is root: spawnhub never runs servers as root", name)
	}
	return Account{Name: u.Username, UID: uid, GID: gid, isolated: true}, nil
}

// ownAccount is spawnhub's own account, the only one a process that is
// not root can run servers as.
func ownAccount(name string, euid, egid int) (Account, error) {
	self := strconv.Itoa(euid)
	if u, err := user.LookupId(self); err == nil {
		self = u.Username
	}
	if name != "" && name != self && name != strconv.Itoa(euid) {
		return Account{}, fmt.Errorf("spawnhub runs as %s, not root, and cannot run servers as %q", self, name)
	}
	return Account{Name: self, UID: euid, GID: egid}, nil
}

// findUser looks an account up by name, or by number.
func findUser(name string) (*user.User, error) {
	u, err := user.Lookup(name)
	if err == nil {
		return u, nil
	}
	if _, nerr := strconv.Atoi(name); nerr == nil {
		return user.LookupId(name)
	}
	return nil, err
}

// Isolated reports whether the account is not spawnhub's own.
func (a Account) Isolated() bool { return a.isolated }

// credential is what a server's process runs with: the account's user and
// group without spawnhub's supplementary groups; nil for spawnhub's own.
func (a Account) credential() *syscall.Credential {
	if !a.isolated {
		return nil
	}
	return &syscall.Credential{Uid: uint32(a.UID), Gid: uint32(a.GID), Groups: []uint32{}}
}

// do runs fn with the file-system identity of the account (Linux fsuid
// and fsgid, per thread), so that what fn creates belongs to the account
// and the account's own permissions apply: a symbolic link a server
// planted cannot lead spawnhub anywhere the server cannot go itself. fn
// must not start goroutines that touch files.
func (a Account) do(fn func() error) error {
	if !a.isolated {
		return fn()
	}
	runtime.LockOSThread()
	if err := setFSIdentity(a.UID, a.GID); err != nil {
		restored := setFSIdentity(os.Geteuid(), os.Getegid()) == nil
		if restored {
			runtime.UnlockOSThread()
		}
		return err
	}
	err := fn()
	if setFSIdentity(os.Geteuid(), os.Getegid()) == nil {
		runtime.UnlockOSThread()
	} // else the thread stays locked and ends with this goroutine
	return err
}

// setFSIdentity sets the thread's fsgid, then fsuid, and checks both took
// (the system calls report failure only by leaving the old value).
func setFSIdentity(uid, gid int) error {
	unix.Setfsgid(gid)
	unix.Setfsuid(uid)
	gotGID, _ := unix.SetfsgidRetGid(-1)
	gotUID, _ := unix.SetfsuidRetUid(-1)
	if gotUID != uid || gotGID != gid {
		return errors.New("local backend: cannot take the server account's file-system identity")
	}
	return nil
}
