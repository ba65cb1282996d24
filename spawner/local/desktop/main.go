package desktop

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
)

// Subcommand is the hidden subcommand of the spawnhub binary that runs a
// desktop. The local backend runs:
//
//	<spawnhub> desktop-session --listen 127.0.0.1:<port> --token-env JUPYTER_TOKEN
//
// with HOME, NB_PREFIX and the token in its environment.
const Subcommand = "desktop-session"

// Main runs a desktop from the arguments after the subcommand. main wires
// it up as
//
//	desktop.Main(ctx, os.Args[2:], os.Environ(), os.Stderr)
//
// where ctx ends on SIGTERM and SIGINT; the desktop's processes are
// stopped then.
func Main(ctx context.Context, args, environ []string, stderr io.Writer) error {
	fs := flag.NewFlagSet(Subcommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:6080", "address websockify listens on")
	tokenEnv := fs.String("token-env", "JUPYTER_TOKEN", "environment variable holding the token")
	geometry := fs.String("geometry", "1280x800", "screen size")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env := envMap(environ)
	if env[*tokenEnv] == "" {
		return fmt.Errorf("desktop: $%s is empty", *tokenEnv)
	}
	if env["HOME"] == "" {
		return errors.New("desktop: $HOME is empty")
	}
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		return fmt.Errorf("desktop: --listen: %w", err)
	}
	err := Run(ctx, Options{
		Listen: *listen, TokenEnv: *tokenEnv, Geometry: *geometry,
		Home: env["HOME"], Prefix: prefixOf(env["NB_PREFIX"]), Environ: environ, Log: stderr,
	})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func envMap(environ []string) map[string]string {
	m := map[string]string{}
	for _, kv := range environ {
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				m[kv[:i]] = kv[i+1:]
				break
			}
		}
	}
	return m
}
