package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/spawnhub/spawnhub/test/poll"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestBurstOfJupyterStartsSharesNoPort launches 50 real Jupyter servers
// at once on the local backend with a start concurrency of 100, while a
// thief takes the port of some of them between the moment spawnhub hands
// it out and the moment Jupyter binds it (it reads the port from the new
// process's command line). The thief answers like a server and records
// every request. Every server must reach running on a port its own
// process holds, none may stay starting, the thief must never get a
// request (a token sent to it is a token sent to another user's server),
// and no server's log may show a request meant for another server.
func TestBurstOfJupyterStartsSharesNoPort(t *testing.T) {
	requireTool(t, "/usr/bin/python3")
	requireTool(t, "jupyter-notebook")
	const users, perUser, steals = 10, 5, 10
	dataDir := t.TempDir()
	t.Cleanup(func() { killLeftovers(t, dataDir) }) // runs after spawnhub's stop, registered later
	clients := map[string]*http.Client{}
	hub := startSpawnhub(t, spawnhubEnv{
		env: []string{
			"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)),
			"SPAWNHUB_DATADIR=" + dataDir,
			"SPAWNHUB_SPAWNER_MAXCONCURRENTSTARTS=100",
		},
		beforeStop: func(base string) {
			for ns, c := range clients {
				stopAllServers(t, c, base, ns)
			}
		},
	})
	for i := range users {
		ns := fmt.Sprintf("burst%d", i)
		clients[ns] = login(t, hub.URL, ns)
	}
	thief := newPortThief(dataDir, steals)
	ctx, cancel := context.WithCancel(context.Background())
	go thief.run(ctx) // ends with cancel
	defer cancel()

	servers := launchAll(t, hub.URL, clients, perUser, "jupyter-notebook")
	waitAllRunning(t, hub.URL, clients, len(servers), 10*time.Minute)
	cancel()

	taken, requests := thief.report()
	t.Logf("%d servers running; the thief took %d ports first", len(servers), len(taken))
	if len(taken) == 0 {
		t.Error("the thief never took a port before Jupyter bound it: the test did not exercise a taken port")
	}
	if len(requests) != 0 {
		t.Errorf("requests reached a process that held a server's port: %q", requests)
	}
	ports := map[int]string{}
	for _, s := range servers {
		base := "/notebook/" + s.ns + "/" + s.name + "/"
		port := checkServerProcess(t, dataDir, base)
		if other, dup := ports[port]; dup {
			t.Errorf("%s and %s both on port %d", other, base, port)
		}
		if taken[port] {
			t.Errorf("%s routed to port %d, which the thief holds", base, port)
		}
		ports[port] = base
		token := apiToken(t, clients[s.ns], hub.URL)
		if code, _ := call(t, bearerClient(token), "GET", workspaceBase(hub.URL, s.ns, s.name)+"/api/status", nil); code != http.StatusOK {
			t.Errorf("GET %sapi/status through spawnhub = %d, want 200 from that server", base, code)
		}
		checkLogOnlyOwnRequests(t, filepath.Join(dataDir, "local", "logs", s.ns, s.name+".log"), base)
	}
}

type serverName struct{ ns, name string }

// launchAll launches perUser servers of image for every client at once.
func launchAll(t *testing.T, hubURL string, clients map[string]*http.Client, perUser int, image string) []serverName {
	t.Helper()
	var mu sync.Mutex
	var out []serverName
	var errs []string
	var wg sync.WaitGroup
	for ns, c := range clients {
		for range perUser {
			wg.Go(func() {
				name, err := launch(c, hubURL, ns, image)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err.Error())
					return
				}
				out = append(out, serverName{ns, name})
			})
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("launches failed: %q", errs)
	}
	return out
}

// launch is one one-click launch, with a long timeout: a burst is slow on
// a busy machine, and the test bounds its waits, not their speed.
func launch(c *http.Client, hubURL, ns, image string) (string, error) {
	slow := *c
	slow.Timeout = 5 * time.Minute
	res, err := slow.Post(hubURL+"/api/v1/namespaces/"+ns+"/launch", "application/json", strings.NewReader(`{"image": "`+image+`"}`))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var srv struct {
		Name  string `json:"name"`
		Error string `json:"error"`
	}
	_ = json.NewDecoder(res.Body).Decode(&srv)
	if res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("launch in %s: %d %s", ns, res.StatusCode, srv.Error)
	}
	return srv.Name, nil
}

// waitAllRunning polls every namespace until want servers run; a failed
// one ends the test with its reason.
func waitAllRunning(t *testing.T, hubURL string, clients map[string]*http.Client, want int, limit time.Duration) {
	t.Helper()
	var phases map[string]int
	poll.Until(t, limit, fmt.Sprintf("%d servers running", want), func() bool {
		phases = map[string]int{}
		for ns, c := range clients {
			_, out := call(t, c, "GET", hubURL+"/api/v1/namespaces/"+ns+"/servers", nil)
			items, _ := out["items"].([]any)
			for _, it := range items {
				s := it.(map[string]any)
				phases[s["phase"].(string)]++
				if s["phase"] == "failed" {
					_, events := call(t, c, "GET", hubURL+"/api/v1/namespaces/"+ns+"/servers/"+s["name"].(string)+"/events", nil)
					t.Fatalf("%s/%s failed: %v\nevents: %v", ns, s["name"], s["message"], events)
				}
			}
		}
		return phases["running"] == want
	})
	t.Logf("phases %v", phases)
}

// portThief takes the port of new Jupyter processes of a data folder
// before they bind it, at most max times, once per server, and serves
// there like a server, recording every request.
type portThief struct {
	dataDir string
	max     int

	mu       sync.Mutex
	seen     map[int]bool    // pids looked at
	servers  map[string]bool // base URLs whose port was tried
	taken    map[int]bool
	requests []string
	closers  []func()
}

func newPortThief(dataDir string, max int) *portThief {
	return &portThief{dataDir: dataDir, max: max, seen: map[int]bool{}, servers: map[string]bool{}, taken: map[int]bool{}}
}

var (
	requestRE = regexp.MustCompile(`\b(GET|POST|PUT|PATCH|DELETE|HEAD) /`)
	portArgRE = regexp.MustCompile(`^--port=(\d+)$`)
	baseArgRE = regexp.MustCompile(`^--(?:ServerApp|NotebookApp)\.base_url=(.+)$`)
)

// run looks for new processes every few milliseconds until ctx ends.
func (p *portThief) run(ctx context.Context) {
	defer p.closeAll()
	for ctx.Err() == nil {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			if pid, err := strconv.Atoi(e.Name()); err == nil && !p.seen[pid] {
				p.seen[pid] = true
				p.look(pid)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// look takes the port of pid if it is a server of the data folder that
// has not had its port taken yet.
func (p *portThief) look(pid int) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || !bytes.Contains(raw, []byte(p.dataDir)) {
		return
	}
	var port int
	var base string
	for _, arg := range strings.Split(string(raw), "\x00") {
		if m := portArgRE.FindStringSubmatch(arg); m != nil {
			port, _ = strconv.Atoi(m[1])
		}
		if m := baseArgRE.FindStringSubmatch(arg); m != nil {
			base = m[1]
		}
	}
	if port == 0 || base == "" || p.servers[base] || len(p.servers) >= p.max {
		return
	}
	p.servers[base] = true
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return // Jupyter was first
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests = append(p.requests, fmt.Sprintf("port %d: %s %s Authorization=%q", port, r.Method, r.URL.Path, r.Header.Get("Authorization")))
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"started": "now", "kernels": 0}`))
	})}
	go srv.Serve(ln) // ends when closeAll closes it
	p.mu.Lock()
	p.taken[port] = true
	p.closers = append(p.closers, func() { srv.Close() })
	p.mu.Unlock()
}

func (p *portThief) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.closers {
		c()
	}
}

func (p *portThief) report() (map[int]bool, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.taken, slices.Clone(p.requests)
}

// checkServerProcess finds the one live process serving base and checks
// that the socket listening on its port is its own; it returns the port.
func checkServerProcess(t *testing.T, dataDir, base string) int {
	t.Helper()
	var pids []int
	var port int
	for _, pid := range processesOf(dataDir) {
		raw, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		args := strings.Split(string(raw), "\x00")
		if !slices.ContainsFunc(args, func(a string) bool { m := baseArgRE.FindStringSubmatch(a); return m != nil && m[1] == base }) {
			continue
		}
		pids = append(pids, pid)
		for _, a := range args {
			if m := portArgRE.FindStringSubmatch(a); m != nil {
				port, _ = strconv.Atoi(m[1])
			}
		}
	}
	if len(pids) != 1 || port == 0 {
		t.Errorf("%s: processes %v (port %d), want exactly one", base, pids, port)
		return port
	}
	if owner := listenerOwner(t, port); owner != pids[0] {
		t.Errorf("%s: port %d is held by pid %d, not by its server %d", base, port, owner, pids[0])
	}
	return port
}

// listenerOwner is the pid holding the socket listening on 127.0.0.1:port
// (from /proc/net/tcp and every process's fds), or 0.
func listenerOwner(t *testing.T, port int) int {
	t.Helper()
	raw, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("0100007F:%04X", port)
	inode := ""
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 9 && f[1] == want && f[3] == "0A" {
			inode = f[9]
		}
	}
	if inode == "" {
		return 0
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fds, _ := os.ReadDir("/proc/" + e.Name() + "/fd")
		for _, fd := range fds {
			if link, _ := os.Readlink("/proc/" + e.Name() + "/fd/" + fd.Name()); link == "socket:["+inode+"]" {
				return pid
			}
		}
	}
	return 0
}

// checkLogOnlyOwnRequests fails on any request line in a server's log for
// a path outside its base URL: a probe or a proxied request meant for
// another server.
func checkLogOnlyOwnRequests(t *testing.T, logPath, base string) {
	t.Helper()
	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Errorf("log of %s: %v", base, err)
		return
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if i := strings.Index(line, " /notebook/"); i >= 0 && !strings.HasPrefix(line[i+1:], base) && requestRE.MatchString(line) {
			t.Errorf("server %s got a request meant for another one: %s", base, line)
		}
	}
}

// processesOf lists the live processes whose command line names dataDir.
func processesOf(dataDir string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if raw, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && bytes.Contains(raw, []byte(dataDir)) {
			out = append(out, pid)
		}
	}
	return out
}

// killLeftovers fails the test for, and kills by pid, any server process
// still running after spawnhub stopped them.
func killLeftovers(t *testing.T, dataDir string) {
	for _, pid := range processesOf(dataDir) {
		t.Errorf("process %d outlived the test; killing it", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
