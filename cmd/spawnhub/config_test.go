package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestEnvironmentOverridesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	yaml := "listen: 127.0.0.1:9000\nstore:\n  driver: redis\n  redis: {addr: file:6379}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path, envOf(map[string]string{
		"SPAWNHUB_STORE_REDIS_ADDR":    "env:6379",
		"SPAWNHUB_AUTH_SESSIONTTL":     "2h",
		"SPAWNHUB_AUTH_ADMINS_GROUPS":  "ops, admins",
		"SPAWNHUB_AUTH_DEVALLOWREMOTE": "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9000" || cfg.Store.Redis.Addr != "env:6379" || cfg.Auth.SessionTTL != 2*time.Hour ||
		!cfg.Auth.DevAllowRemote || strings.Join(cfg.Auth.Admins.Groups, "|") != "ops|admins" {
		t.Errorf("config = %+v, want the file's listen and the environment's redis addr, TTL, groups", cfg)
	}
}

func TestBadEnvironmentNamesTheVariable(t *testing.T) {
	_, err := loadConfig("", envOf(map[string]string{"SPAWNHUB_AUTH_SESSIONTTL": "soon", "SPAWNHUB_STORE_REDIS_DB": "x"}))
	for _, want := range []string{"SPAWNHUB_AUTH_SESSIONTTL", "SPAWNHUB_STORE_REDIS_DB"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("loadConfig error %v does not name %s", err, want)
		}
	}
}

func TestUnknownKeyInFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("lisen: 127.0.0.1:9000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(path, envOf(nil)); err == nil || !strings.Contains(err.Error(), "lisen") {
		t.Errorf("loadConfig with a misspelt key: %v, want an error naming it", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := defaults()
	cfg.Listen = "0.0.0.0:8000" // dev login on a public listener
	cfg.PublicURL = "ftp://x"
	cfg.Store.Driver = "etcd"
	cfg.Auth.SessionKeys = []string{"short:abc"}
	cfg.Spawner.Backend = "nomad"
	cfg.Spawner.ClaimTTL = time.Second
	err := cfg.Validate()
	for _, want := range []string{"auth.mode", "publicURL", "store.driver", "auth.sessionKeys", "spawner.backend", "spawner: images", "spawner.claimTTL"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a problem with %s", err, want)
		}
	}
}

func TestValidateOIDCNamesMissingKeys(t *testing.T) {
	cfg := defaults()
	cfg.Spawner.Images = nil
	cfg.Auth.Mode = "oidc"
	cfg.Auth.OIDC.Issuer = "not a url"
	err := cfg.Validate()
	for _, want := range []string{"auth.oidc.clientID", "auth.oidc.clientSecret", "auth.oidc.redirectURL", "auth.oidc.issuer"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a problem with %s", err, want)
		}
	}
}

func TestDefaultsAreValid(t *testing.T) {
	cfg, err := loadConfig("", envOf(map[string]string{"SPAWNHUB_DATADIR": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("the embedded default is invalid: %v", err)
	}
}

func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cfg, err := loadConfig("", envOf(map[string]string{
		"SPAWNHUB_STORE_REDIS_PASSWORDFILE":   write("redis", "s3cret\n"),
		"SPAWNHUB_AUTH_OIDC_CLIENTSECRETFILE": write("oidc", " client-secret \n"),
		"SPAWNHUB_AUTH_SESSIONKEYSFILE":       write("keys", "# rotated monthly\nnew:"+strings.Repeat("n", 32)+"\nold:"+strings.Repeat("o", 32)+"\n"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.Redis.Password != "s3cret" || cfg.Auth.OIDC.ClientSecret != "client-secret" || len(cfg.Auth.SessionKeys) != 2 {
		t.Errorf("secrets = %q, %q, %d keys; want s3cret, client-secret, 2 keys", cfg.Store.Redis.Password, cfg.Auth.OIDC.ClientSecret, len(cfg.Auth.SessionKeys))
	}
	_, err = loadConfig("", envOf(map[string]string{
		"SPAWNHUB_STORE_REDIS_PASSWORDFILE": filepath.Join(dir, "missing"),
		"SPAWNHUB_AUTH_SESSIONKEYSFILE":     filepath.Join(dir, "missing too"),
	}))
	for _, want := range []string{"store.redis.passwordFile", "auth.sessionKeysFile"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing secret files: %v, want a problem naming %s", err, want)
		}
	}
}

func TestQuotasFromFileAndEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	yaml := "quotas:\n  runningServers: 2\n  storage: 500Gi\n  namespaces:\n    alice: {servers: 100, storage: \"0\"}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path, envOf(map[string]string{"SPAWNHUB_QUOTAS_TOKENSPERUSER": "7", "SPAWNHUB_DATADIR": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	bob, alice := cfg.Quotas.For("bob"), cfg.Quotas.For("alice")
	if bob.Servers != 20 || bob.RunningServers != 2 || bob.Storage != "500Gi" || bob.DataVolumesPerServer != 16 || bob.TokensPerUser != 7 {
		t.Errorf("quotas of bob = %+v, want the defaults with the file's running servers and storage and the environment's tokens", bob)
	}
	if alice.Servers != 100 || alice.StorageBytes() != 0 || alice.RunningServers != 2 {
		t.Errorf("quotas of alice = %+v, want 100 servers, no storage limit, the rest global", alice)
	}
}

func TestValidateNamesBadQuotas(t *testing.T) {
	cfg := defaults()
	cfg.Quotas.Servers = -1
	cfg.Quotas.Storage = "two terabytes"
	minus := -5
	cfg.Quotas.Namespaces = map[string]form.QuotaOverride{"alice": {TokensPerUser: &minus}}
	err := cfg.Validate()
	for _, want := range []string{"quotas.servers: -1", "quotas.storage: \"two terabytes\"", "quotas.namespaces.alice.tokensPerUser: -5"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a problem with %s", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "namespaces.alice.servers") {
		t.Errorf("Validate() = %v: blames alice for the global value", err)
	}
}
