package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/spawner/kube"
	"github.com/spawnhub/spawnhub/spawner/local"
)

// Config is the whole configuration: a YAML file, then SPAWNHUB_* variables,
// then flags. Zero values take the embedded defaults.
type Config struct {
	Listen    string `yaml:"listen"`    // address to serve on
	PublicURL string `yaml:"publicURL"` // how browsers reach the hub; Origin checks use it
	// WorkspaceURL is the template of workspace origins, e.g.
	// "https://{ns}.nb.example.org"; default http://{ns}.localhost:<port>
	// when the hub is on loopback.
	WorkspaceURL string `yaml:"workspaceURL"`
	// InsecureSameOriginWorkspaces serves workspaces on the hub's origin,
	// where their pages run with the visitor's hub session. Never in
	// production.
	InsecureSameOriginWorkspaces bool          `yaml:"insecureSameOriginWorkspaces"`
	DataDir                      string        `yaml:"dataDir"` // local backend homes and logs; private/: dev session key, memory-store snapshot
	Store                        StoreConfig   `yaml:"store"`
	Auth                         AuthConfig    `yaml:"auth"`
	Spawner                      SpawnerConfig `yaml:"spawner"`
	// Quotas limit what each namespace holds (quotas.*, and
	// quotas.namespaces.<ns>.* to override them for one namespace).
	Quotas form.Quotas `yaml:"quotas"`
	Log    LogConfig   `yaml:"log"`
	// Culling stops idle and old servers (culling.*, culling.go).
	Culling CullingConfig `yaml:"culling"`
	Server  ServerConfig  `yaml:"server"` // limits on slow clients (httpserver.go)
	// ShutdownTimeout bounds how long in-flight requests may finish.
	ShutdownTimeout time.Duration `yaml:"shutdownTimeout"`
}

// StoreConfig chooses where shared state lives.
type StoreConfig struct {
	Driver string      `yaml:"driver"` // memory or redis
	Redis  RedisConfig `yaml:"redis"`
}

// RedisConfig reaches one Redis, a Sentinel group or a Cluster.
type RedisConfig struct {
	Addr         string   `yaml:"addr"`  // one address (shorthand for addrs)
	Addrs        []string `yaml:"addrs"` // several: cluster nodes or sentinels
	MasterName   string   `yaml:"masterName"`
	Password     string   `yaml:"password" secret:"true"`
	PasswordFile string   `yaml:"passwordFile"`
	DB           int      `yaml:"db"`
	Prefix       string   `yaml:"prefix"`
}

// AuthConfig chooses how people sign in and who administers.
type AuthConfig struct {
	Mode string `yaml:"mode"` // dev or oidc
	// DevAllowRemote allows the development login on a non-loopback
	// listener. Never in production.
	DevAllowRemote bool          `yaml:"devAllowRemote"`
	SessionTTL     time.Duration `yaml:"sessionTTL"`
	// SessionKeys sign sessions: "id:secret" pairs, the first signs. Every
	// replica needs the same keys. Secrets only from env or a file.
	SessionKeys     []string        `yaml:"sessionKeys" secret:"true"`
	SessionKeysFile string          `yaml:"sessionKeysFile"`
	Admins          AdminsConfig    `yaml:"admins"`
	OIDC            auth.OIDCConfig `yaml:"oidc"`
	// Namespaces maps a user's email to the namespace they own, e.g. an
	// existing Kubeflow profile; others get the slug of their email.
	Namespaces map[string]string `yaml:"namespaces"`
}

// AdminsConfig names administrators.
type AdminsConfig struct {
	Emails []string `yaml:"emails"`
	Groups []string `yaml:"groups"`
}

// SpawnerConfig is the spawner's configuration plus the backend choice.
type SpawnerConfig struct {
	Backend     string `yaml:"backend"` // local or kubernetes
	form.Config `yaml:",inline"`
	// ClaimTTL is how long a start stays claimed by a replica that stopped
	// renewing it (it died) before another replica takes it over.
	ClaimTTL time.Duration `yaml:"claimTTL"`
	// Kubernetes configures the kubernetes backend (spawner.kubernetes.*).
	Kubernetes kube.Config `yaml:"kubernetes"`
	// Local configures the local backend (spawner.local.*).
	Local local.Config `yaml:"local"`
}

// LogConfig shapes the logs.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// defaults returns the embedded configuration: everything runs in one
// process on this machine.
func defaults() Config {
	return Config{
		Listen:          "127.0.0.1:8000",
		DataDir:         defaultDataDir(),
		Store:           StoreConfig{Driver: "memory", Redis: RedisConfig{Prefix: "spawnhub:"}},
		Auth:            AuthConfig{Mode: "dev", SessionTTL: 12 * time.Hour},
		Spawner:         SpawnerConfig{Backend: "local", Config: seedPolicy(), ClaimTTL: 15 * time.Second},
		Quotas:          defaultQuotas(),
		Log:             LogConfig{Level: "info", Format: "text"},
		Server:          defaultServerConfig(),
		ShutdownTimeout: 20 * time.Second,
		Culling:         defaultCulling(),
	}
}

// seedPolicy is the form policy of the platform we model: CPU nodes give
// 15 CPU and 48Gi to users, GPU nodes 6 CPU and 96Gi with one GPU;
// workspaces hold 4 to 32Gi and data volumes 4 to 512Gi.
func seedPolicy() form.Config {
	return form.Config{
		Limits: form.Limits{
			CPU:           form.Range{Min: "0.1", Max: "15", Default: "1"},
			Memory:        form.Range{Min: "512Mi", Max: "48Gi", Default: "4Gi"},
			WorkspaceSize: form.Range{Min: "4Gi", Max: "32Gi", Default: "16Gi"},
			VolumeSize:    form.Range{Min: "4Gi", Max: "512Gi", Default: "64Gi"},
			MaxGPUs:       1,
		},
		GPU: form.GPU{Preset: form.Preset{CPU: "6", Memory: "96Gi"}},
	}
}

// defaultQuotas are generous for one person and stop a runaway script:
// 2,000 launches do not make 2,000 servers.
func defaultQuotas() form.Quotas {
	return form.Quotas{Quota: form.Quota{
		Servers: 20, RunningServers: 5, DataVolumesPerServer: 16, Storage: "2Ti", TokensPerUser: 50,
	}}
}

// defaultDataDir is the user's cache folder, or /var/lib/spawnhub for root,
// whose home the account that runs local servers cannot cross.
func defaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/spawnhub"
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "spawnhub")
	}
	return filepath.Join(os.TempDir(), "spawnhub")
}

// loadFile overlays a YAML file on c; unknown keys are errors.
func (c *Config) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// Validate reports every problem at once. It has no side effects.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		add("listen: %q is not host:port", c.Listen)
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("publicURL: %q is not an http(s) URL", c.PublicURL)
		}
	}
	errs = append(errs, c.validateOrigins())
	if c.DataDir == "" {
		add("dataDir: required")
	}
	errs = append(errs, c.Store.validate(), c.Auth.validate(c.Listen), c.Server.validate())
	switch c.Spawner.Backend {
	case "local":
	case "kubernetes":
		if err := c.Spawner.Kubernetes.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("spawner.kubernetes: %w", err))
		}
		errs = append(errs, c.Spawner.validateGPUPlacement())
	default:
		add("spawner.backend: %q is not local or kubernetes", c.Spawner.Backend)
	}
	if err := c.Spawner.Config.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("spawner: %w", err))
	}
	if c.Spawner.ClaimTTL < 3*time.Second || c.Spawner.ClaimTTL > 10*time.Minute {
		add("spawner.claimTTL: %s is not between 3s and 10m", c.Spawner.ClaimTTL)
	}
	errs = append(errs, underKey("quotas.", c.Quotas.Validate()), c.Culling.validate())
	if c.ShutdownTimeout <= 0 {
		add("shutdownTimeout: must be positive")
	}
	return errors.Join(errs...)
}

// underKey puts prefix before the key each joined error starts with.
func underKey(prefix string, err error) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		if err == nil {
			return nil
		}
		return fmt.Errorf("%s%w", prefix, err)
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, underKey(prefix, e))
	}
	return errors.Join(out...)
}

func (s StoreConfig) validate() error {
	switch s.Driver {
	case "memory":
		return nil
	case "redis":
		if s.Redis.Addr == "" && len(s.Redis.Addrs) == 0 {
			return errors.New("store.redis.addr: required with the redis driver")
		}
		return nil
	}
	return fmt.Errorf("store.driver: %q is not memory or redis", s.Driver)
}

func (a AuthConfig) validate(listen string) error {
	var errs []error
	switch a.Mode {
	case "dev":
		if !a.DevAllowRemote && !isLoopback(listen) {
			errs = append(errs, fmt.Errorf("auth.mode: dev login is only allowed on a loopback listener, not %q (set auth.devAllowRemote to insist)", listen))
		}
	case "oidc":
		errs = append(errs, validateOIDC(a.OIDC))
	default:
		errs = append(errs, fmt.Errorf("auth.mode: %q is not dev or oidc", a.Mode))
	}
	for user, ns := range a.Namespaces {
		if auth.NamespaceSlug(ns) != ns {
			errs = append(errs, fmt.Errorf("auth.namespaces[%s]: %q is not a valid namespace name", user, ns))
		}
	}
	if a.SessionTTL < time.Minute {
		errs = append(errs, errors.New("auth.sessionTTL: at least 1m"))
	}
	if _, err := parseSessionKeys(a.SessionKeys); err != nil {
		errs = append(errs, fmt.Errorf("auth.sessionKeys: %w", err))
	}
	return errors.Join(errs...)
}

func validateOIDC(o auth.OIDCConfig) error {
	var errs []error
	for key, v := range map[string]string{"issuer": o.Issuer, "clientID": o.ClientID, "clientSecret": o.ClientSecret, "redirectURL": o.RedirectURL} {
		if v == "" {
			errs = append(errs, fmt.Errorf("auth.oidc.%s: required with auth.mode oidc", key))
		}
	}
	for key, v := range map[string]string{"issuer": o.Issuer, "redirectURL": o.RedirectURL} {
		if u, err := url.Parse(v); v != "" && (err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http")) {
			errs = append(errs, fmt.Errorf("auth.oidc.%s: %q is not an http(s) URL", key, v))
		}
	}
	return errors.Join(errs...)
}

// isLoopback reports whether a listen address only accepts local
// connections.
func isLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
