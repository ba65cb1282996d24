package local

import (
	"errors"
	"fmt"
	"net"
	"sync"
)

// ports hands out the ports servers listen on. The kernel's free port
// (listen on :0, close) is free only until someone binds it, and a server
// binds it a second or more later: in a burst, the kernel would offer the
// same port to two servers. So a port stays reserved from the moment it is
// handed out until the server that got it has exited.
type ports struct {
	mu   sync.Mutex
	held map[int]bool
}

// pickTries bounds how many reserved ports reserve skips.
const pickTries = 64

// reserve returns a port of host that is free and not reserved, and
// reserves it.
func (ps *ports) reserve(host string) (int, error) {
	var skipped []net.Listener // kept bound meanwhile, so the kernel offers others
	defer func() {
		for _, ln := range skipped {
			ln.Close()
		}
	}()
	for range pickTries {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return 0, fmt.Errorf("local backend: find a free port: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if ps.take(port) {
			ln.Close()
			return port, nil
		}
		skipped = append(skipped, ln)
	}
	return 0, errors.New("local backend: find a free port: every port offered is reserved")
}

func (ps *ports) take(port int) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.held[port] {
		return false
	}
	if ps.held == nil {
		ps.held = map[int]bool{}
	}
	ps.held[port] = true
	return true
}

// release makes a port available again.
func (ps *ports) release(port int) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	delete(ps.held, port)
}
