// Package demo is the built-in demo server: a tiny workspace that needs
// nothing installed, so that one-click launch always works. It serves a
// page, a status endpoint and a websocket echo under its base URL, and
// requires its token for everything. The spawnhub binary runs it through a
// hidden subcommand (see Main).
package demo

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Options configure the demo server.
type Options struct {
	Addr    string // host:port to listen on
	BaseURL string // path prefix, with leading and trailing slash
	Token   string // required on every request
	Logger  *slog.Logger
}

// Run serves until ctx is done, then shuts down within 5 seconds.
func Run(ctx context.Context, o Options) error {
	h, err := Handler(o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("demo server: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }() // ends when Shutdown closes the listener
	select {
	case err := <-errc:
		return fmt.Errorf("demo server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-errc
	return err
}

// Handler returns the demo server's handler.
func Handler(o Options) (http.Handler, error) {
	if o.Token == "" {
		return nil, errors.New("demo server: a token is required")
	}
	if !strings.HasPrefix(o.BaseURL, "/") || !strings.HasSuffix(o.BaseURL, "/") {
		return nil, fmt.Errorf("demo server: base URL %q must start and end with /", o.BaseURL)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	d := &server{o: o, started: time.Now()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+o.BaseURL+"api/status", d.status)
	mux.HandleFunc("GET "+o.BaseURL+"ws", d.echo)
	mux.HandleFunc(o.BaseURL, d.page)
	return d.requireToken(mux), nil
}

type server struct {
	o       Options
	started time.Time
}

func (d *server) requireToken(next http.Handler) http.Handler {
	want := []byte(d.o.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.URL.Query().Get("token")
		if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "token "); ok {
			got = h
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			http.Error(w, "403 forbidden: a valid token is required", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (d *server) status(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"ok": true, "server": "spawnhub-demo", "baseURL": d.o.BaseURL, "started": d.started.UTC(),
	})
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>spawnhub demo server</title></head>
<body><h1>spawnhub demo server</h1>
<p>You reached <code>{{.Path}}</code> (base URL <code>{{.Base}}</code>).</p>
<p>A websocket echo answers at <code>{{.Base}}ws</code>.</p></body></html>
`))

func (d *server) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	pageTmpl.Execute(w, map[string]string{"Path": r.URL.Path, "Base": d.o.BaseURL})
}

// echo sends every text and binary message back. The token was checked, so
// any Origin is accepted (as Jupyter does for token-authenticated sockets);
// the first subprotocol the client asks for is accepted.
func (d *server) echo(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	var hdr http.Header
	if protos := websocket.Subprotocols(r); len(protos) > 0 {
		hdr = http.Header{"Sec-Websocket-Protocol": {protos[0]}}
	}
	c, err := up.Upgrade(w, r, hdr)
	if err != nil {
		return // Upgrade has answered the client
	}
	defer c.Close()
	c.SetReadLimit(1 << 20)
	for {
		typ, msg, err := c.ReadMessage()
		if err != nil {
			return // the client closed or went away
		}
		if err := c.WriteMessage(typ, msg); err != nil {
			return
		}
	}
}
