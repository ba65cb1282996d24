package dexenv

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/test/buildcache"
)

// DefaultBinary is where build.sh puts Dex:
// ${SPAWNHUB_DEX_CACHE:-$HOME/.cache/spawnhub-dex}/bin/dex.
func DefaultBinary() string {
	return filepath.Join(buildcache.Root("SPAWNHUB_DEX_CACHE", "spawnhub-dex"), "bin", "dex")
}

// BuildScript is the path of build.sh, found next to this source file.
func BuildScript() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "build.sh"
	}
	return filepath.Join(filepath.Dir(file), "build.sh")
}

// buildOnce runs build.sh at most once per test binary.
var buildOnce = sync.OnceValue(runBuild)

// binary returns the Dex executable to run: bin, else $SPAWNHUB_DEX, else
// the default path, built by build.sh if missing. It skips the test instead
// of building when SPAWNHUB_TEST_ALLOW_SKIP=1.
func binary(t testing.TB, bin string) string {
	t.Helper()
	if bin == "" {
		bin = os.Getenv("SPAWNHUB_DEX")
	}
	if bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("dexenv: %v", err)
		}
		return bin
	}
	bin = DefaultBinary()
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if os.Getenv("SPAWNHUB_TEST_ALLOW_SKIP") == "1" {
		t.Skipf("dexenv: no %s; run test/dexenv/build.sh", bin)
	}
	t.Logf("dexenv: no %s; running build.sh (about 2 minutes on a cold cache)", bin)
	began := time.Now()
	if err := buildOnce(); err != nil {
		t.Fatalf("dexenv: %v", err)
	}
	t.Logf("dexenv: build.sh took %v", time.Since(began).Round(time.Second))
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("dexenv: build.sh finished but: %v", err)
	}
	return bin
}

func runBuild() error {
	_, err := buildcache.Run(BuildScript())
	return err
}
