// Package buildcache locates the caches that the test tools built from Go
// modules live in (the Kubernetes control plane, Dex) and runs the build
// scripts that fill them.
package buildcache

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Root is the cache directory of one tool: $envVar when set, else
// ~/.cache/<name>.
func Root(envVar, name string) string {
	if root := os.Getenv(envVar); root != "" {
		return root
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", name)
}

// outputTail is how much of a failed build's output an error carries.
const outputTail = 8 << 10

// Run runs a build script with bash and returns what it printed on
// stdout; a failure carries the end of its stderr.
func Run(script string) (string, error) {
	var out, errOut bytes.Buffer
	cmd := exec.Command("bash", script)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		tail := errOut.Bytes()
		if len(tail) > outputTail {
			tail = tail[len(tail)-outputTail:]
		}
		return "", fmt.Errorf("%s: %w; output:\n%s", script, err, tail)
	}
	return out.String(), nil
}
