package local

import (
	"bufio"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// A server is accepted as ready only from its own process: before a probe
// carries the server's token, every socket listening on its port must
// belong to a process of its process group. Linux gives listening sockets
// with their inode (sock_diag, or /proc/net/tcp{,6}) and a process's
// sockets as "socket:[inode]" links in /proc/<pid>/fd.

var (
	// errNotListening: nothing listens on the port yet.
	errNotListening = errors.New("nothing listens on the port yet")
	// errPortTaken: another process listens on the server's port.
	errPortTaken = errors.New("another process listens on the server's port")
)

// checkListener returns nil when something listens on host:port (or on a
// wildcard address at port) and every such socket belongs to a process in
// process group pgid; errNotListening or errPortTaken otherwise.
func checkListener(host string, port, pgid int) error {
	inodes, err := listeningInodes(net.ParseIP(host), port)
	if err != nil {
		return err
	}
	if len(inodes) == 0 {
		return errNotListening
	}
	if !groupHolds(pgid, inodes) {
		return errPortTaken
	}
	return nil
}

// listeningInodes returns the inodes of the TCP sockets listening on port
// at ip or at a wildcard address (any address when ip is nil), from
// sock_diag or, without it, /proc/net/tcp{,6}.
func listeningInodes(ip net.IP, port int) (map[string]bool, error) {
	out := map[string]bool{}
	add := func(addr net.IP, p int, inode string) {
		if p == port && (ip == nil || addr.IsUnspecified() || addr.Equal(ip)) {
			out[inode] = true
		}
	}
	for _, src := range []struct {
		family uint8
		table  string
	}{{syscall.AF_INET, "/proc/net/tcp"}, {syscall.AF_INET6, "/proc/net/tcp6"}} {
		err := diagListeners(src.family, add)
		if errors.Is(err, errNoSockDiag) {
			err = scanTCPTable(src.table, add)
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	return out, nil
}

// tcpListen is the state of a listening socket in /proc/net/tcp.
const tcpListen = "0A"

// scanTCPTable calls fn for every listening socket of a /proc/net/tcp
// table: "sl local_address rem_address st … uid timeout inode …".
func scanTCPTable(path string, fn func(ip net.IP, port int, inode string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != tcpListen {
			continue
		}
		ip, port, ok := parseProcAddr(fields[1])
		if ok {
			fn(ip, port, fields[9])
		}
	}
	return sc.Err()
}

// parseProcAddr reads "0100007F:1F90": the address in hexadecimal, each
// 32-bit word in the host's (little-endian) order, and the port.
func parseProcAddr(s string) (net.IP, int, bool) {
	a, p, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(a)
	port, perr := strconv.ParseUint(p, 16, 16)
	if !ok || err != nil || perr != nil || (len(raw) != 4 && len(raw) != 16) {
		return nil, 0, false
	}
	for w := 0; w < len(raw); w += 4 {
		raw[w], raw[w+1], raw[w+2], raw[w+3] = raw[w+3], raw[w+2], raw[w+1], raw[w]
	}
	return net.IP(raw), int(port), true
}

// groupHolds reports whether the processes of group pgid hold every
// socket in inodes. The leader, which usually listens, is looked at first.
func groupHolds(pgid int, inodes map[string]bool) bool {
	missing := map[string]bool{}
	for in := range inodes {
		missing[in] = true
	}
	sockets(pgid, missing)
	if len(missing) == 0 {
		return true
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == pgid || processGroup(pid) != pgid {
			continue
		}
		if sockets(pid, missing); len(missing) == 0 {
			return true
		}
	}
	return false
}

// sockets deletes from missing the inodes of the sockets pid holds.
func sockets(pid int, missing map[string]bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, fd := range fds {
		link, err := os.Readlink(dir + fd.Name())
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			delete(missing, strings.TrimSuffix(inode, "]"))
		}
	}
}

// processGroup is field 5 of /proc/<pid>/stat; -1 if unknown.
func processGroup(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 3 {
		return -1
	}
	pg, err := strconv.Atoi(f[2])
	if err != nil {
		return -1
	}
	return pg
}
