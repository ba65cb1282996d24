// Command spawnhub serves analytics workspaces (JupyterLab, RStudio, remote
// desktops, SAS) behind one URL: the web UI and API, the workspace proxy and
// the spawner, in one binary. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spawnhub/spawnhub/spawner/local"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "spawnhub:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: spawnhub serve [--config FILE] [--listen ADDR] | spawnhub admin servers|stop|cull|usage | spawnhub version")
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stderr)
	case "admin":
		return runAdmin(ctx, args[1:], stdout, stderr, os.Getenv)
	case "version":
		fmt.Fprintln(stdout, "spawnhub", version)
		return nil
	case demoCommand: // hidden: the built-in demo server the local backend starts
		return runDemo(ctx, args[1:])
	case desktopCommand: // hidden: a remote desktop the local backend starts
		return runDesktop(ctx, args[1:])
	}
	return fmt.Errorf("unknown command %q (want serve, admin or version)", args[0])
}

// runServe loads the configuration (file, then environment, then flags),
// validates it and serves until ctx is done. First of all, the process
// becomes unreadable to others of its account; once read, the secrets
// leave its environment.
func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	if err := nonDumpable(); err != nil {
		return err
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file")
	listen := fs.String("listen", "", "address to listen on (overrides listen)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath, lookupEnvCopy)
	if err != nil {
		return err
	}
	secretsDropped := dropSecretEnv(secretEnvNames())
	if *listen != "" {
		cfg.Listen = *listen
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	log := newLogger(cfg.Log, stderr)
	if secretsDropped != nil {
		log.Warn("secrets read from the environment stay visible in this process's initial environment", "err", secretsDropped)
	}
	if err := cfg.prepareDataDir(cfg.Spawner.Backend == "local" && local.SwitchesAccount()); err != nil {
		return err
	}
	return serve(ctx, cfg, log)
}

// loadConfig builds the configuration from defaults, the file and the
// environment, and reads secrets from files.
func loadConfig(path string, lookup func(string) (string, bool)) (Config, error) {
	cfg := defaults()
	if path == "" {
		path, _ = lookup(envPrefix + "CONFIG")
	}
	if path != "" {
		if err := cfg.loadFile(path); err != nil {
			return Config{}, err
		}
	}
	if err := cfg.applyEnv(lookup); err != nil {
		return Config{}, err
	}
	if err := cfg.resolveSecrets(); err != nil {
		return Config{}, err
	}
	if len(cfg.Spawner.Images) == 0 && cfg.Spawner.Backend == "local" { // the embedded catalogue: what is installed here
		cfg.Spawner.Images = local.AvailableImages(local.DefaultImages())
	}
	return cfg, nil
}
