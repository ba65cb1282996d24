package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSecretEnvNames(t *testing.T) {
	got := secretEnvNames()
	for _, want := range []string{"SPAWNHUB_AUTH_SESSIONKEYS", "SPAWNHUB_STORE_REDIS_PASSWORD", "SPAWNHUB_AUTH_OIDC_CLIENTSECRET"} {
		if !slices.Contains(got, want) {
			t.Errorf("secretEnvNames() = %v, lacks %s", got, want)
		}
	}
	if slices.Contains(got, "SPAWNHUB_LISTEN") || slices.Contains(got, "SPAWNHUB_AUTH_SESSIONKEYSFILE") {
		t.Errorf("secretEnvNames() = %v, has keys that are not secrets", got)
	}
}

func TestBlankEntries(t *testing.T) {
	block := []byte("A=1\x00SPAWNHUB_X=secret\x00SPAWNHUB_XY=keep\x00B=2")
	if !blankEntries(block, []string{"SPAWNHUB_X"}) {
		t.Fatal("blankEntries reported no change")
	}
	if want := "A=1\x00" + strings.Repeat("\x00", len("SPAWNHUB_X=secret")) + "\x00SPAWNHUB_XY=keep\x00B=2"; string(block) != want {
		t.Errorf("block = %q, want %q", block, want)
	}
	if blankEntries(block, []string{"C"}) {
		t.Error("blankEntries of an absent name reported a change")
	}
}

// secretMarker is the session key the helper process gets from its
// environment.
const secretMarker = "k1:marker-of-a-session-key-0123456789abcdef"

// TestSecretsLeaveTheEnvironment runs this test binary as a spawnhub that
// reads its configuration from the environment: afterwards the secret is
// in the configuration, not in the environment, not in the block that
// /proc/<pid>/environ shows, and the process is not dumpable.
func TestSecretsLeaveTheEnvironment(t *testing.T) {
	if os.Getenv("SPAWNHUB_TEST_HELPER") == "secrets" {
		helperDropSecrets()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecretsLeaveTheEnvironment$")
	cmd.Env = []string{"SPAWNHUB_TEST_HELPER=secrets", "SPAWNHUB_AUTH_SESSIONKEYS=" + secretMarker, "SPAWNHUB_LISTEN=127.0.0.1:9999"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	for _, want := range []string{"config=" + secretMarker, "getenv=\n", "environ has secret=false", "environ has listen=true", "dumpable=0"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("helper output lacks %q:\n%s", want, out)
		}
	}
}

func helperDropSecrets() {
	if err := nonDumpable(); err != nil {
		fmt.Println(err)
	}
	cfg, err := loadConfig("", lookupEnvCopy)
	if err != nil {
		fmt.Println(err)
	}
	if err := dropSecretEnv(secretEnvNames()); err != nil {
		fmt.Println(err)
	}
	environ, err := os.ReadFile("/proc/self/environ")
	if err != nil {
		fmt.Println(err)
	}
	dumpable, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	fmt.Printf("config=%s\ngetenv=%s\nenviron has secret=%v\nenviron has listen=%v\ndumpable=%d\n",
		strings.Join(cfg.Auth.SessionKeys, ","), os.Getenv("SPAWNHUB_AUTH_SESSIONKEYS"),
		strings.Contains(string(environ), "marker-of-a-session-key"), strings.Contains(string(environ), "SPAWNHUB_LISTEN=127.0.0.1:9999"), dumpable)
}

// TestPrepareDataDir: the data folder is spawnhub's (crossable only when
// local servers run as another account), secret files live in a private
// folder, and files of earlier versions move there.
func TestPrepareDataDir(t *testing.T) {
	for _, crossable := range []bool{false, true} {
		t.Run(fmt.Sprint("crossable=", crossable), func(t *testing.T) {
			cfg := defaults()
			cfg.DataDir = t.TempDir()
			if err := os.WriteFile(filepath.Join(cfg.DataDir, "session.key"), []byte("local:old\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := cfg.prepareDataDir(crossable); err != nil {
				t.Fatal(err)
			}
			want := os.FileMode(0o700)
			if crossable {
				want = 0o711
			}
			for dir, mode := range map[string]os.FileMode{cfg.DataDir: want, privateDir(cfg): 0o700} {
				fi, err := os.Stat(dir)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != mode {
					t.Errorf("%s: mode %o, want %o", dir, fi.Mode().Perm(), mode)
				}
			}
			if b, err := os.ReadFile(filepath.Join(privateDir(cfg), "session.key")); err != nil || string(b) != "local:old\n" {
				t.Errorf("moved session key: %q, %v", b, err)
			}
			keys, err := cfg.sessionKeys()
			if err == nil {
				err = fmt.Errorf("keys %v", keys) // "local:old" is too short: the old file was read
			}
			if !strings.Contains(err.Error(), "shorter than 32") {
				t.Errorf("sessionKeys after the move: %v, want the moved file's key", err)
			}
		})
	}
}

func TestGeneratedSessionKeyIsPrivate(t *testing.T) {
	cfg := defaults()
	cfg.DataDir = t.TempDir()
	if err := cfg.prepareDataDir(true); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.sessionKeys(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(privateDir(cfg), "session.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("session.key: mode %o, want 600 in the private folder", fi.Mode().Perm())
	}
}

func TestSharedDataDirIsRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	cfg := defaults()
	cfg.DataDir = dir
	if err := cfg.prepareDataDir(false); err == nil || !strings.Contains(err.Error(), "shared folder") {
		t.Errorf("prepareDataDir(a sticky folder) = %v, want a refusal", err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("the shared folder's mode changed to %v", fi.Mode())
	}
}
