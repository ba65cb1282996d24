package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// The backend every target reaches: a small GET answer and a websocket
// echo at any path ending in /ws. It checks no token: spawnhub injects
// one, the other targets do not, and all must see the same server.
func backendHandler() http.Handler {
	up := websocket.Upgrader{
		ReadBufferSize: 1024, WriteBufferSize: 1024,
		CheckOrigin: func(*http.Request) bool { return true },
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/ws") {
			echo(w, r, up)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "13")
		_, _ = io.WriteString(w, "hello, world\n")
	})
}

func echo(w http.ResponseWriter, r *http.Request, up websocket.Upgrader) {
	var hdr http.Header
	if protos := websocket.Subprotocols(r); len(protos) > 0 {
		hdr = http.Header{"Sec-Websocket-Protocol": {protos[0]}}
	}
	c, err := up.Upgrade(w, r, hdr)
	if err != nil {
		return // Upgrade has answered
	}
	defer c.Close()
	for {
		typ, msg, err := c.ReadMessage()
		if err != nil || c.WriteMessage(typ, msg) != nil {
			return // the client went away
		}
	}
}

// backendInfo is what a backend started by spawnhub tells the tool, in a
// file, so that the other targets reach the same process.
type backendInfo struct {
	Addr string `json:"addr"`
	PID  int    `json:"pid"`
}

// serveBackend is the tool's backend mode: listen on addr, write info to
// infoPath, serve until ctx ends (spawnhub stops it with SIGTERM).
func serveBackend(ctx context.Context, addr, infoPath string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("backend: %w", err)
	}
	info, _ := json.Marshal(backendInfo{Addr: ln.Addr().String(), PID: os.Getpid()})
	if err := os.WriteFile(infoPath, info, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("backend: %w", err)
	}
	srv := &http.Server{Handler: backendHandler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }() // ends when Close closes the listener
	select {
	case err := <-errc:
		return fmt.Errorf("backend: %w", err)
	case <-ctx.Done():
	}
	err = srv.Close() // hijacked websockets end with the process
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	return err
}
