package e2e

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// balancer stands in for the load balancer in front of the replicas: it
// relays every connection it accepts on a loopback port to the first
// replica in its list, byte for byte. A test drops a replica from the list
// when it kills it, as a health check would; a connection relayed to a
// replica that dies is closed on the client's side too, as a real load
// balancer closes it.
type balancer struct {
	ln net.Listener

	mu       sync.Mutex
	backends []string       // host:port, in order of preference
	served   map[string]int // connections relayed, by backend
}

// startBalancer listens on a free loopback port until the test ends.
func startBalancer(t *testing.T) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lb := &balancer{ln: ln, served: map[string]int{}}
	var conns sync.WaitGroup
	go lb.serve(&conns) // ends when the listener is closed
	t.Cleanup(func() { ln.Close(); conns.Wait() })
	return lb
}

// Port is the port clients connect to.
func (lb *balancer) Port() int { return lb.ln.Addr().(*net.TCPAddr).Port }

// add puts a replica (its base URL, http://host:port) at the end of the list.
func (lb *balancer) add(base string) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.backends = append(lb.backends, hostPort(base))
}

// remove takes a replica out of the list.
func (lb *balancer) remove(base string) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	addr := hostPort(base)
	for i, b := range lb.backends {
		if b == addr {
			lb.backends = append(lb.backends[:i], lb.backends[i+1:]...)
			return
		}
	}
}

// servedBy is how many connections went to the replica at base.
func (lb *balancer) servedBy(base string) int {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.served[hostPort(base)]
}

func (lb *balancer) serve(conns *sync.WaitGroup) {
	for {
		c, err := lb.ln.Accept()
		if err != nil {
			return
		}
		conns.Go(func() { lb.relay(c) })
	}
}

// relay copies bytes both ways until either side closes, then closes both.
func (lb *balancer) relay(client net.Conn) {
	defer client.Close()
	lb.mu.Lock()
	if len(lb.backends) == 0 {
		lb.mu.Unlock()
		return
	}
	addr := lb.backends[0]
	lb.served[addr]++
	lb.mu.Unlock()
	upstream, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	defer upstream.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(upstream, client); done <- struct{}{} }() // ends when either side closes
	go func() { io.Copy(client, upstream); done <- struct{}{} }() // ends when either side closes
	<-done
}

func hostPort(base string) string {
	return strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://")
}
