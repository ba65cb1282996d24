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
	path := filepath.Join(c.DataDir, "session.key")
	if b, err := os.ReadFile(path); err == nil {
		return parseSessionKeys(splitLines(string(b)))
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
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

// oidcStateKey derives the key that seals OIDC login state from the
// session signing key, so operators manage one secret, not two.
func oidcStateKey(k auth.Key) []byte {
	m := hmac.New(sha256.New, k.Secret)
	m.Write([]byte("spawnhub oidc login state"))
	return m.Sum(nil)
}
