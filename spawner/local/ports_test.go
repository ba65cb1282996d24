package local

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

func TestPortsAreNeverHandedOutTwice(t *testing.T) {
	var ps ports
	const n = 300
	got := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			p, err := ps.reserve("127.0.0.1")
			if err != nil {
				t.Error(err)
			}
			got <- p
		})
	}
	wg.Wait()
	close(got)
	seen := map[int]bool{}
	for p := range got {
		if seen[p] {
			t.Errorf("port %d handed out twice", p)
		}
		seen[p] = true
	}
	if ps.take(80) != true || ps.take(80) != false {
		t.Error("take(80) twice = not (true, false)")
	}
	ps.release(80)
	if !ps.take(80) {
		t.Error("take(80) after release = false, want true")
	}
}

func TestParseProcAddr(t *testing.T) {
	for _, tt := range []struct {
		in   string
		ip   string
		port int
	}{
		{"0100007F:1F90", "127.0.0.1", 8080},
		{"00000000:0050", "0.0.0.0", 80},
		{"00000000000000000000000001000000:0016", "::1", 22},
		{"0000000000000000FFFF00000100007F:1F90", "127.0.0.1", 8080},
	} {
		ip, port, ok := parseProcAddr(tt.in)
		if !ok || !ip.Equal(net.ParseIP(tt.ip)) || port != tt.port {
			t.Errorf("parseProcAddr(%q) = %v %d %v, want %s %d", tt.in, ip, port, ok, tt.ip, tt.port)
		}
	}
	if _, _, ok := parseProcAddr("zz:1"); ok {
		t.Error(`parseProcAddr("zz:1") ok, want not`)
	}
}

// TestCheckListener: a socket counts as the server's only if a process of
// the server's group holds it.
func TestCheckListener(t *testing.T) {
	own := syscall.Getpgrp() // this test process's group
	other := exec.Command("sleep", "60")
	other.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Process.Kill(); other.Wait() })

	for _, addr := range []string{"127.0.0.1:0", "0.0.0.0:0"} {
		ln, err := net.Listen("tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if err := checkListener("127.0.0.1", port, own); err != nil {
			t.Errorf("%s: checkListener(own group) = %v, want nil", addr, err)
		}
		if err := checkListener("127.0.0.1", port, other.Process.Pid); !errors.Is(err, errPortTaken) {
			t.Errorf("%s: checkListener(another group) = %v, want errPortTaken", addr, err)
		}
		ln.Close()
		if err := checkListener("127.0.0.1", port, own); !errors.Is(err, errNotListening) {
			t.Errorf("%s closed: checkListener = %v, want errNotListening", addr, err)
		}
	}
}

// decoy listens on a port like a server that answers everything, and
// records every request: a token sent to it went to the wrong process.
type decoy struct {
	ln   net.Listener
	mu   sync.Mutex
	auth []string
}

func listenDecoy(t *testing.T, port int) *decoy {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", itoa(port)))
	if err != nil {
		t.Fatalf("take port %d: %v", port, err)
	}
	d := &decoy{ln: ln}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.auth = append(d.auth, r.Method+" "+r.URL.Path+" Authorization="+r.Header.Get("Authorization"))
		d.mu.Unlock()
		w.Write([]byte(`{"ok":true}`))
	})}
	go srv.Serve(ln) // ends when the test closes it
	t.Cleanup(func() { srv.Close() })
	return d
}

func (d *decoy) requests() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.auth...)
}

// TestPortTakenBeforeTheServerBinds: another process takes the port between
// the pick and the server's bind. The token never reaches it, and the
// server starts on another port.
func TestPortTakenBeforeTheServerBinds(t *testing.T) {
	slow := form.Image{ID: "slow", Kind: form.KindDemo, ReadyPath: "api/status",
		Command: append([]string{"/bin/sh", "-c", `sleep 0.5; exec "$0" "$@"`}, DemoCommand...)}
	catalogue["slow"] = slow
	t.Cleanup(func() { delete(catalogue, "slow") })
	b := newBackend(t, dataDir(t))
	var thief *decoy
	var reasons []string
	progress := func(e store.Event) {
		reasons = append(reasons, e.Reason)
		if e.Reason == "Launched" && thief == nil { // the first start: steal its port
			thief = listenDecoy(t, portIn(t, e.Message))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := server("stolen", "slow")
	route, inst, err := b.Start(ctx, srv, image(srv.Spec.Image), "tok-stolen", progress)
	if err != nil {
		t.Fatalf("Start: %v (events %v)", err, reasons)
	}
	srv.Instance = inst
	t.Cleanup(func() { b.Stop(context.Background(), srv) })
	if got := thief.requests(); len(got) != 0 {
		t.Errorf("the process that took the port got %q, want nothing", got)
	}
	if strings.HasSuffix(route.Target, ":"+itoa(thief.ln.Addr().(*net.TCPAddr).Port)) {
		t.Errorf("route %s is the taken port", route.Target)
	}
	if !strings.Contains(strings.Join(reasons, " "), "PortTaken") {
		t.Errorf("events %v, want PortTaken", reasons)
	}
	pid, _, _ := parseInstance(inst)
	if err := checkListener("127.0.0.1", portIn(t, route.Target), pid); err != nil {
		t.Errorf("the route's port is not held by the server: %v", err)
	}
}

// TestNeverReadyEndsWithReason: a server that never answers makes Start
// fail when its context ends, with the log, and leaves nothing running.
func TestNeverReadyEndsWithReason(t *testing.T) {
	catalogue["mute"] = form.Image{ID: "mute", Kind: form.KindDemo,
		Command: []string{"/bin/sh", "-c", "echo waiting for nothing; exec sleep 600"}}
	t.Cleanup(func() { delete(catalogue, "mute") })
	b := newBackend(t, dataDir(t))
	var pid int
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, _, err := b.Start(ctx, server("mute", "mute"), image("mute"), "tok", func(e store.Event) {
		if e.Reason == "Launched" {
			pid = pidIn(t, e.Message)
		}
	})
	if err == nil || !strings.Contains(err.Error(), "did not answer") || !strings.Contains(err.Error(), "waiting for nothing") {
		t.Errorf("Start = %v, want a timeout with the log", err)
	}
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d after the failed start: kill 0 = %v, want ESRCH", pid, err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// portIn is the last number in s ("… on port 4242; …", "http://h:4242").
func portIn(t *testing.T, s string) int {
	t.Helper()
	m := regexp.MustCompile(`(?:port |:)(\d+)`).FindAllStringSubmatch(s, -1)
	if len(m) == 0 {
		t.Fatalf("no port in %q", s)
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}

// pidIn is the process id of a "process 123 started …" event.
func pidIn(t *testing.T, s string) int {
	t.Helper()
	m := regexp.MustCompile(`process (\d+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no pid in %q", s)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// BenchmarkCheckListener is the cost of one ownership check before a
// readiness probe when the group's leader holds the socket (this process
// plays the leader): the listening sockets and the leader's fds.
func BenchmarkCheckListener(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	port, own := ln.Addr().(*net.TCPAddr).Port, os.Getpid()
	for b.Loop() {
		if err := checkListener("127.0.0.1", port, own); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSockDiagAgreesWithProc: both sources of listening sockets find the
// same sockets, with the same inodes, for IPv4 and IPv6.
func TestSockDiagAgreesWithProc(t *testing.T) {
	for _, tt := range []struct {
		network, addr, table string
		family               uint8
	}{
		{"tcp4", "127.0.0.1:0", "/proc/net/tcp", syscall.AF_INET},
		{"tcp6", "[::1]:0", "/proc/net/tcp6", syscall.AF_INET6},
	} {
		ln, err := net.Listen(tt.network, tt.addr)
		if err != nil {
			t.Logf("%s: %v", tt.network, err)
			continue
		}
		port := ln.Addr().(*net.TCPAddr).Port
		collect := func(get func(func(net.IP, int, string)) error) string {
			var found []string
			if err := get(func(ip net.IP, p int, inode string) {
				if p == port {
					found = append(found, ip.String()+" "+inode)
				}
			}); err != nil {
				t.Fatal(err)
			}
			return strings.Join(found, ",")
		}
		diag := collect(func(fn func(net.IP, int, string)) error { return diagListeners(tt.family, fn) })
		proc := collect(func(fn func(net.IP, int, string)) error { return scanTCPTable(tt.table, fn) })
		if diag == "" || diag != proc {
			t.Errorf("%s port %d: sock_diag %q, %s %q, want the same socket", tt.network, port, diag, tt.table, proc)
		}
		ln.Close()
	}
}

// BenchmarkListeningSockets compares the two sources of listening sockets
// on this machine.
func BenchmarkListeningSockets(b *testing.B) {
	noop := func(net.IP, int, string) {}
	b.Run("sock_diag", func(b *testing.B) {
		for b.Loop() {
			diagListeners(syscall.AF_INET, noop)
		}
	})
	b.Run("proc_net_tcp", func(b *testing.B) {
		for b.Loop() {
			scanTCPTable("/proc/net/tcp", noop)
		}
	})
}
