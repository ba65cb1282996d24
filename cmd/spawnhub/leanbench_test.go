package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
)

// BenchmarkLeanPath times a small GET over one keep-alive connection to a
// server with the lean path and to one without, in alternation (compare
// the two in the same run): the servers' own cost and the loopback's.
func BenchmarkLeanPath(b *testing.B) {
	lean, std := startBenchServer(b, true), startBenchServer(b, false)
	for round := 1; round <= 2; round++ {
		b.Run(fmt.Sprintf("lean-%d", round), func(b *testing.B) { getLoop(b, lean, statusGet) })
		b.Run(fmt.Sprintf("net-http-%d", round), func(b *testing.B) { getLoop(b, std, statusGet) })
	}
}

func startBenchServer(b *testing.B, lean bool) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	small := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "13")
		_, _ = io.WriteString(w, "Hello, world!")
	}
	c := defaultServerConfig()
	c.LeanPath = lean
	srv, sln := newHTTPServer(http.HandlerFunc(small), func(w http.ResponseWriter, r *http.Request) bool {
		small(w, r)
		return true
	}, ln, c, quietLog())
	go srv.Serve(sln) // ends at Close below
	b.Cleanup(func() { _ = srv.Close(); _ = sln.Close() })
	return ln.Addr().String()
}

// statusGet is the request of the lean-vs-net/http benchmark.
const statusGet = "GET /notebook/alice/lab/api/status HTTP/1.1\r\nHost: alice.ws.localhost\r\nUser-Agent: bench\r\nCookie: spawnhub_workspace=x\r\n\r\n"

// getLoop sends raw, one request, over one connection to addr and reads
// each response, b.N times.
func getLoop(b *testing.B, addr, raw string) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	br := bufio.NewReader(nc)
	req := []byte(raw)
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := nc.Write(req); err != nil {
			b.Fatal(err)
		}
		res, err := http.ReadResponse(br, r)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
	}
}

// BenchmarkLeanProxy is a small GET through the proxy on the lean path,
// raw head and all, to a raw server in the same process: for profiles
// (-cpuprofile, -memprofile) of the whole hot path; the client and the
// server's own costs are in the numbers too.
func BenchmarkLeanProxy(b *testing.B) {
	raw, _ := proxyServers(b, &rawSent{paths: map[string]bool{}})
	getLoop(b, raw, "GET /notebook/alice/lab/plain HTTP/1.1\r\nHost: alice.ws.test\r\nUser-Agent: bench\r\nAccept: */*\r\nCookie: a=1; spawnhub_ws=x\r\n\r\n")
}
