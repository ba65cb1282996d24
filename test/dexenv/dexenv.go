// Package dexenv starts a real OpenID provider, Dex, for login tests: an
// issuer on a free loopback port, one static client, and static users with
// passwords and groups, kept in memory. It also plays the browser's part of
// the authorization code flow (Dex's local login form). The Dex binary comes
// from build.sh, which this package runs when the binary is missing.
package dexenv

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// User is a static Dex user who signs in with Email and Password.
type User struct {
	Email    string
	Password string
	Username string   // Dex's "name" claim (unless Name is set); default: the email's local part
	Name     string   // display name, optional
	Groups   []string // the "groups" claim, sent when the client asks for the groups scope
}

// Options configures one Dex.
type Options struct {
	ClientID     string   // default "spawnhub"
	ClientSecret string   // default: random
	RedirectURIs []string // the client's callback URLs; at least one
	Users        []User
	// Binary is the dex executable; default: $SPAWNHUB_DEX, else the path
	// build.sh writes.
	Binary string
}

// Dex is a running Dex, stopped when the test ends.
type Dex struct {
	Issuer       string // http://127.0.0.1:<port>/dex
	ClientID     string
	ClientSecret string

	redirectURIs []string
	cmd          *exec.Cmd
	exited       chan struct{} // closed when the process has exited
	log          string
}

// readyTimeout bounds how long Dex may take to answer its discovery URL
// (0.1 s is usual).
const readyTimeout = 30 * time.Second

// stopTimeout is how long Dex gets between SIGTERM and SIGKILL.
const stopTimeout = 10 * time.Second

// Start writes a Dex configuration, starts Dex on a free loopback port and
// waits until its discovery document answers. Dex is stopped by pid in
// t.Cleanup.
func Start(t testing.TB, opts Options) *Dex {
	t.Helper()
	if len(opts.RedirectURIs) == 0 {
		t.Fatal("dexenv: Options.RedirectURIs is empty")
	}
	bin := binary(t, opts.Binary)
	opts = withDefaults(opts)
	dir := t.TempDir()
	addr, err := freeAddr()
	if err != nil {
		t.Fatalf("dexenv: %v", err)
	}
	d := &Dex{
		Issuer: "http://" + addr + "/dex", ClientID: opts.ClientID, ClientSecret: opts.ClientSecret,
		redirectURIs: opts.RedirectURIs, exited: make(chan struct{}), log: filepath.Join(dir, "dex.log"),
	}
	cfgPath := filepath.Join(dir, "config.json")
	if err := writeConfig(cfgPath, d.Issuer, addr, opts); err != nil {
		t.Fatalf("dexenv: %v", err)
	}
	if err := d.start(bin, cfgPath); err != nil {
		t.Fatalf("dexenv: %v", err)
	}
	t.Cleanup(func() { d.stop(t) })
	if err := d.waitReady(); err != nil {
		t.Fatalf("dexenv: %v\n%s", err, d.logTail())
	}
	return d
}

func withDefaults(opts Options) Options {
	if opts.ClientID == "" {
		opts.ClientID = "spawnhub"
	}
	if opts.ClientSecret == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		opts.ClientSecret = hex.EncodeToString(b)
	}
	return opts
}

// freeAddr picks a free loopback port. Dex binds it a moment later; another
// process taking it in between makes Start fail, not hang.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

func (d *Dex) start(bin, cfgPath string) error {
	f, err := os.Create(d.log)
	if err != nil {
		return fmt.Errorf("create log: %w", err)
	}
	defer f.Close() // the child holds its own descriptor
	d.cmd = exec.Command(bin, "serve", cfgPath)
	d.cmd.Stdout = f
	d.cmd.Stderr = f
	if err := d.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	// Ends when Dex exits: on its own, or when stop signals it.
	go func() {
		_ = d.cmd.Wait()
		close(d.exited)
	}()
	return nil
}

// waitReady polls the discovery document until it names our issuer, Dex
// exits, or readyTimeout passes. Polling is the only readiness signal an
// external process gives.
func (d *Dex) waitReady() error {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(readyTimeout)
	for {
		if d.discoveryReady(client) {
			return nil
		}
		select {
		case <-d.exited:
			return fmt.Errorf("dex exited before it was ready: %v", d.cmd.ProcessState)
		case <-deadline:
			return fmt.Errorf("dex not ready after %v", readyTimeout)
		case <-tick.C:
		}
	}
}

func (d *Dex) discoveryReady(client *http.Client) bool {
	resp, err := client.Get(d.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var doc struct {
		Issuer string `json:"issuer"`
	}
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&doc) == nil && doc.Issuer == d.Issuer
}

// stop ends Dex by pid: SIGTERM, then SIGKILL after stopTimeout. It prints
// Dex's log when the test failed.
func (d *Dex) stop(t testing.TB) {
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Logf("dexenv: signal dex (pid %d): %v", d.cmd.Process.Pid, err)
	}
	select {
	case <-d.exited:
	case <-time.After(stopTimeout):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
	if t.Failed() {
		t.Logf("dexenv: dex log:\n%s", d.logTail())
	}
}

func (d *Dex) logTail() string {
	const tail = 8 << 10
	b, err := os.ReadFile(d.log)
	if err != nil {
		return err.Error()
	}
	if len(b) > tail {
		b = b[len(b)-tail:]
	}
	return string(b)
}
