package kubeenv

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestPodCIDR(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "127.1.0.0/16", want: "127.1.0.0/16"},
		{in: "127.5.7.0/24", want: "127.5.7.0/24"},
		{in: "127.0.0.0/8", want: "127.0.0.0/8"},
		{in: "127.1.0.9/16", want: "127.1.0.0/16"},
		{in: "10.244.0.0/16", wantErr: true},
		{in: "126.0.0.0/7", wantErr: true},
		{in: "::1/128", wantErr: true},
		{in: "nonsense", wantErr: true},
	}
	for _, tt := range tests {
		got, err := podCIDR(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("podCIDR(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestPodCIDRDefaultIsLoopback(t *testing.T) {
	_, within, _ := net.ParseCIDR("127.1.0.0/16")
	for range 20 {
		got, err := podCIDR("")
		if err != nil {
			t.Fatal(err)
		}
		ip, n, err := net.ParseCIDR(got)
		if err != nil {
			t.Fatalf("default %q: %v", got, err)
		}
		if ones, _ := n.Mask.Size(); !within.Contains(ip) || ones != 24 {
			t.Errorf("default pod CIDR %s, want a /24 inside %s", got, within)
		}
	}
}

// TestBuildScriptVersions keeps build.sh and the Go constants in step:
// DefaultBinDir names the directory build.sh writes.
func TestBuildScriptVersions(t *testing.T) {
	b, err := os.ReadFile("build.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"K8S_VERSION=" + KubernetesVersion + "\n",
		"ETCD_VERSION=" + EtcdVersion + "\n",
		"KWOK_VERSION=" + KwokVersion + "\n",
		`root="${SPAWNHUB_KUBE_CACHE:-$HOME/.cache/spawnhub-kube}/v$K8S_VERSION"`,
		`bin="$root/bin"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("build.sh lacks %q", want)
		}
	}
}

func TestDefaultBinDir(t *testing.T) {
	t.Setenv("SPAWNHUB_KUBE_CACHE", "/cache")
	if got, want := DefaultBinDir(), "/cache/v"+KubernetesVersion+"/bin"; got != want {
		t.Errorf("DefaultBinDir() = %q, want %q", got, want)
	}
}

func TestMissing(t *testing.T) {
	dir := t.TempDir()
	if got := Missing(dir); len(got) != len(binFiles) {
		t.Errorf("Missing(empty dir) = %v, want all of %v", got, binFiles)
	}
	for _, f := range binFiles[1:] {
		if err := os.WriteFile(dir+"/"+f, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got := Missing(dir); len(got) != 1 || got[0] != binFiles[0] {
		t.Errorf("Missing = %v, want [%s]", got, binFiles[0])
	}
}

// fakeTB records how Start ends the test instead of ending the real one.
type fakeTB struct {
	testing.TB
	fatal, skip string
	cleanups    []func()
}

func (f *fakeTB) Helper()             {}
func (f *fakeTB) Cleanup(fn func())   { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Logf(string, ...any) {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// startIn runs Start on f in its own goroutine, as the testing package
// runs a test, so that Fatalf and Skipf can end it.
func startIn(f *fakeTB, opts Options) *Env {
	var env *Env
	done := make(chan struct{})
	go func() { // ends when Start returns or f ends the fake test
		defer close(done)
		env = Start(f, opts)
	}()
	<-done
	return env
}

func TestStartIncompleteBinDir(t *testing.T) {
	tests := []struct {
		name, allowSkip     string
		wantFatal, wantSkip bool
	}{
		{name: "fails", allowSkip: "", wantFatal: true},
		{name: "skips when allowed", allowSkip: "1", wantSkip: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SPAWNHUB_TEST_ALLOW_SKIP", tt.allowSkip)
			f := &fakeTB{TB: t}
			if env := startIn(f, Options{BinDir: t.TempDir()}); env != nil {
				t.Fatalf("Start returned an environment from an empty bin dir")
			}
			if got := f.fatal != ""; got != tt.wantFatal {
				t.Errorf("fatal %q, want fatal %v", f.fatal, tt.wantFatal)
			}
			if got := f.skip != ""; got != tt.wantSkip {
				t.Errorf("skip %q, want skip %v", f.skip, tt.wantSkip)
			}
			if msg := f.fatal + f.skip; !strings.Contains(msg, "kube-apiserver") {
				t.Errorf("message %q does not name the missing kube-apiserver", msg)
			}
		})
	}
}
