package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spawnhub/spawnhub/auth"
)

// parseSessionKeys reads "id:secret" pairs; the first key signs.
func parseSessionKeys(pairs []string) ([]auth.Key, error) {
	keys := make([]auth.Key, 0, len(pairs))
	for i, p := range pairs {
		id, secret, ok := strings.Cut(strings.TrimSpace(p), ":")
		if !ok || id == "" {
			return nil, fmt.Errorf("key %d: want id:secret", i+1)
		}
		if len(secret) < 32 {
			return nil, fmt.Errorf("key %q: secret shorter than 32 characters", id)
		}
		keys = append(keys, auth.Key{ID: id, Secret: []byte(secret)})
	}
	return keys, nil
}

// resolveSecrets reads secrets given as files into c.
func (c *Config) resolveSecrets() error {
	var errs []error
	read := func(key, path string, set func(string)) {
		if path == "" {
			return
		}
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
			return
		}
		set(string(b))
	}
	read("store.redis.passwordFile", c.Store.Redis.PasswordFile, func(s string) { c.Store.Redis.Password = strings.TrimSpace(s) })
	read("auth.oidc.clientSecretFile", c.Auth.OIDC.ClientSecretFile, func(s string) { c.Auth.OIDC.ClientSecret = strings.TrimSpace(s) })
	read("auth.sessionKeysFile", c.Auth.SessionKeysFile, func(s string) { c.Auth.SessionKeys = splitLines(s) })
	return errors.Join(errs...)
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// sessionKeys returns the configured keys or, for the embedded default
// only, a key generated once and kept in the data directory, so that a
// restart keeps everyone signed in.
func (c Config) sessionKeys() ([]auth.Key, error) {
	if len(c.Auth.SessionKeys) > 0 {
		return parseSessionKeys(c.Auth.SessionKeys)
	}
	if c.Store.Driver != "memory" && c.Auth.Mode != "dev" {
		return nil, errors.New("auth.sessionKeys: required when replicas share a store (set SPAWNHUB_AUTH_SESSIONKEYS or auth.sessionKeysFile)")
	}
	path := filepath.Join(privateDir(c), "session.key")
	if b, err := os.ReadFile(path); err == nil {
		return parseSessionKeys(splitLines(string(b)))
	}
	if err := os.MkdirAll(privateDir(c), 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	line := fmt.Sprintf("local:%x", b)
	if err := os.WriteFile(path, []byte(line+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write session key: %w", err)
	}
	return parseSessionKeys([]string{line})
}

// privateDir holds spawnhub's secret files (the development session key,
// the memory store's snapshot with every server's token): mode 0700, in a
// data folder that only spawnhub can list.
func privateDir(c Config) string { return filepath.Join(c.DataDir, "private") }

// privateFiles are the secret files, which earlier versions kept in the
// data folder itself.
var privateFiles = []string{"session.key", "state.json"}

// prepareDataDir creates the data folder and its private folder with their
// modes, and moves secret files of earlier versions into the private one.
// crossable lets the account that runs local servers cross the data folder
// (not list it) on the way to their home folders.
func (c Config) prepareDataDir(crossable bool) error {
	mode := os.FileMode(0o700)
	if crossable {
		mode = 0o711
	}
	if err := ownFolder(c.DataDir, mode); err != nil {
		return fmt.Errorf("dataDir: %w", err)
	}
	if err := ownFolder(privateDir(c), 0o700); err != nil {
		return fmt.Errorf("dataDir: %w", err)
	}
	for _, name := range privateFiles {
		old, moved := filepath.Join(c.DataDir, name), filepath.Join(privateDir(c), name)
		if _, err := os.Lstat(moved); err == nil {
			continue
		}
		if err := os.Rename(old, moved); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("dataDir: move %s into %s: %w", name, privateDir(c), err)
		}
	}
	return nil
}

// ownFolder creates dir or checks that it is spawnhub's own (not a shared
// folder such as /tmp), and gives it mode.
func ownFolder(dir string, mode os.FileMode) error {
	if err := os.MkdirAll(dir, mode); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if fi.Mode()&os.ModeSticky != 0 || (ok && int(st.Uid) != os.Geteuid()) {
		return fmt.Errorf("%s is a shared folder, not spawnhub's own: give spawnhub a folder of its own", dir)
	}
	return os.Chmod(dir, mode)
}

// oidcStateKey derives the key that seals OIDC login state from the
// session signing key, so operators manage one secret, not two.
func oidcStateKey(k auth.Key) []byte {
	m := hmac.New(sha256.New, k.Secret)
	m.Write([]byte("spawnhub oidc login state"))
	return m.Sum(nil)
}
