package kubeenv

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/test/buildcache"
)

// Files build.sh puts into the bin directory.
var binFiles = []string{
	"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok",
	"stages.yaml", "storage-class.yaml",
}

// DefaultBinDir is where build.sh puts the binaries:
// ${SPAWNHUB_KUBE_CACHE:-$HOME/.cache/spawnhub-kube}/v<KubernetesVersion>/bin.
func DefaultBinDir() string {
	return filepath.Join(buildcache.Root("SPAWNHUB_KUBE_CACHE", "spawnhub-kube"), "v"+KubernetesVersion, "bin")
}

// Missing lists the files of dir that build.sh would create but are absent.
func Missing(dir string) []string {
	var missing []string
	for _, f := range binFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missing = append(missing, f)
		}
	}
	return missing
}

// BuildScript is the path of build.sh, found next to this source file.
func BuildScript() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "build.sh"
	}
	return filepath.Join(filepath.Dir(file), "build.sh")
}

// binaries returns a directory holding every binary: dir (or the default)
// when complete, else after running build.sh. It skips the test instead
// when SPAWNHUB_TEST_ALLOW_SKIP=1.
func binaries(t testing.TB, dir string) string {
	t.Helper()
	if dir == "" {
		dir = DefaultBinDir()
	}
	missing := Missing(dir)
	if len(missing) == 0 {
		return dir
	}
	if os.Getenv("SPAWNHUB_TEST_ALLOW_SKIP") == "1" {
		t.Skipf("kubeenv: %s lacks %s; run test/kubeenv/build.sh", dir, strings.Join(missing, ", "))
	}
	if dir != DefaultBinDir() {
		t.Fatalf("kubeenv: %s lacks %s", dir, strings.Join(missing, ", "))
	}
	t.Logf("kubeenv: %s lacks %s; running build.sh (several minutes on a cold cache)", dir, strings.Join(missing, ", "))
	began := time.Now()
	built, err := runBuild()
	if err != nil {
		t.Fatalf("kubeenv: %v", err)
	}
	t.Logf("kubeenv: build.sh took %v", time.Since(began).Round(time.Second))
	if missing := Missing(built); len(missing) > 0 {
		t.Fatalf("kubeenv: build.sh finished but %s lacks %s", built, strings.Join(missing, ", "))
	}
	return built
}

// runBuild runs build.sh and returns the directory it printed last.
func runBuild() (string, error) {
	out, err := buildcache.Run(BuildScript())
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1], nil
}
