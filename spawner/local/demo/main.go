package demo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Subcommand is the hidden subcommand of the spawnhub binary that runs the
// demo server. The local backend runs:
//
//	<spawnhub> demo-server --listen 127.0.0.1:<port> --base-url <base> --token-env SPAWNHUB_DEMO_TOKEN
//
// with the token in the environment variable named by --token-env.
const Subcommand = "demo-server"

// Main runs the demo server from the arguments after the subcommand, taking
// the token from getenv(--token-env). main wires it up as
//
//	demo.Main(ctx, os.Args[2:], os.Getenv, os.Stderr)
//
// where ctx ends on SIGTERM and SIGINT (signal.NotifyContext): the local
// backend stops servers with SIGTERM.
func Main(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet(Subcommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8888", "address to listen on")
	base := fs.String("base-url", "/", "base URL path")
	tokenEnv := fs.String("token-env", "SPAWNHUB_DEMO_TOKEN", "environment variable holding the token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	token := getenv(*tokenEnv)
	if token == "" {
		return fmt.Errorf("demo server: $%s is empty", *tokenEnv)
	}
	err := Run(ctx, Options{Addr: *listen, BaseURL: *base, Token: token})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
