package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A server process (a user's kernel) must not read spawnhub's secrets.
// Where it runs as another account the kernel already keeps it out of
// spawnhub's /proc files; where it runs as spawnhub's own account only
// this process's own choices do:
//   - nonDumpable: /proc/<pid>/environ, mem, maps, fd … become root's, so
//     no other process of the account can open them (nor ptrace us);
//   - dropSecretEnv: the secret variables are removed once read, also from
//     the block of memory /proc/<pid>/environ shows, which Unsetenv does
//     not touch.

// nonDumpable marks the process non-dumpable (PR_SET_DUMPABLE 0).
func nonDumpable() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("mark the process non-dumpable: %w", err)
	}
	return nil
}

// lookupEnvCopy is os.LookupEnv with a copy of the value: Go's environment
// strings point into the block that dropSecretEnv blanks.
func lookupEnvCopy(name string) (string, bool) {
	v, ok := os.LookupEnv(name)
	return strings.Clone(v), ok
}

// dropSecretEnv unsets the named variables and blanks them in the
// environment block the process started with. Every value read from the
// environment before must have been copied (lookupEnvCopy).
func dropSecretEnv(names []string) error {
	var present []string
	for _, n := range names {
		if _, ok := os.LookupEnv(n); ok {
			present = append(present, n)
			os.Unsetenv(n)
		}
	}
	if len(present) == 0 {
		return nil
	}
	return blankEnviron(present)
}

// blankEnviron overwrites with zeros each "NAME=value" entry of names in
// the environment block, found between env_start and env_end of
// /proc/self/stat, through /proc/self/mem.
func blankEnviron(names []string) error {
	start, end, err := environBounds()
	if err != nil {
		return fmt.Errorf("environment block: %w", err)
	}
	mem, err := os.OpenFile("/proc/self/mem", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("environment block: %w", err)
	}
	defer mem.Close()
	block := make([]byte, end-start)
	if _, err := mem.ReadAt(block, start); err != nil {
		return fmt.Errorf("environment block: %w", err)
	}
	if !blankEntries(block, names) {
		return nil
	}
	if _, err := mem.WriteAt(block, start); err != nil {
		return fmt.Errorf("environment block: %w", err)
	}
	return nil
}

// blankEntries zeroes the NUL-separated entries of names in block and
// reports whether it changed anything.
func blankEntries(block []byte, names []string) bool {
	changed := false
	for off := 0; off < len(block); {
		n := bytes.IndexByte(block[off:], 0)
		if n < 0 {
			n = len(block) - off
		}
		entry := block[off : off+n]
		for _, name := range names {
			if bytes.HasPrefix(entry, []byte(name+"=")) {
				clear(entry)
				changed = true
			}
		}
		off += n + 1
	}
	return changed
}

// environBounds reads env_start and env_end, fields 50 and 51 of
// /proc/self/stat.
func environBounds() (start, end int64, err error) {
	raw, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, err
	}
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, 0, errors.New("unexpected /proc/self/stat format")
	}
	f := strings.Fields(string(raw[i+1:])) // f[0] is field 3
	if len(f) < 49 {
		return 0, 0, errors.New("/proc/self/stat has no env_start and env_end")
	}
	start, err = strconv.ParseInt(f[47], 10, 64)
	if err == nil {
		end, err = strconv.ParseInt(f[48], 10, 64)
	}
	if err != nil || end < start || end-start > 1<<24 {
		return 0, 0, fmt.Errorf("bad env_start/env_end %q %q", f[47], f[48])
	}
	return start, end, nil
}
