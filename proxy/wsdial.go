package proxy

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// errBadHandshake is a server's answer that does not open a websocket.
var errBadHandshake = errors.New("websocket: bad handshake")

// backendConn is a server's websocket once its handshake is done.
type backendConn struct {
	conn        net.Conn
	early       []byte // what the server sent right after its answer
	subprotocol string
}

// handshakeReaders read servers' handshake answers; a connection holds one
// only during its handshake.
var handshakeReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// dialBackend opens the server's websocket at rawURL (ws:// or wss://)
// with header, itself rather than with a websocket library, so that the
// bytes the server sends right after its answer are not held in a
// library's buffer. A server that answers without switching protocols
// returns its response with errBadHandshake.
func (p *Proxy) dialBackend(ctx context.Context, rawURL string, header http.Header) (*backendConn, *http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("websocket url: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, p.opts.DialTimeout+p.opts.WriteTimeout)
	defer cancel()
	conn, err := p.dialWS(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	bc, res, err := handshake(ctx, conn, u, header)
	if err != nil {
		_ = conn.Close()
		return nil, res, err
	}
	return bc, res, nil
}

// dialWS connects to u's host, with TLS for wss.
func (p *Proxy) dialWS(ctx context.Context, u *url.URL) (net.Conn, error) {
	port := "80"
	if u.Scheme == "wss" {
		port = "443"
	}
	if u.Port() != "" {
		port = u.Port()
	}
	conn, err := newDial(p.opts)(ctx, "tcp", net.JoinHostPort(u.Hostname(), port)) // prompt ACKs, as every leg to a workspace
	if err != nil || u.Scheme != "wss" {
		return conn, err
	}
	tc := tls.Client(conn, &tls.Config{ServerName: u.Hostname()})
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("tls handshake with %s: %w", u.Host, err)
	}
	return tc, nil
}

// handshake sends the opening handshake on conn and reads the answer.
func handshake(ctx context.Context, conn net.Conn, u *url.URL, header http.Header) (*backendConn, *http.Response, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	unwatch := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) }) // the client left
	defer unwatch()
	key := wsKey()
	req := &http.Request{Method: http.MethodGet, URL: httpURL(u), Host: u.Host, Header: header.Clone(),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	if h := header["Host"]; len(h) > 0 {
		req.Host = h[0]
	}
	req.Header["Upgrade"] = []string{"websocket"}
	req.Header["Connection"] = []string{"Upgrade"}
	req.Header["Sec-WebSocket-Key"] = []string{key}
	req.Header["Sec-WebSocket-Version"] = []string{"13"}
	if err := req.Write(conn); err != nil {
		return nil, nil, fmt.Errorf("websocket handshake: %w", err)
	}
	br := handshakeReaders.Get().(*bufio.Reader)
	br.Reset(conn)
	defer func() { br.Reset(nil); handshakeReaders.Put(br) }()
	res, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, nil, fmt.Errorf("websocket handshake: %w", err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols ||
		!headerHasToken(res.Header, "Upgrade", "websocket") ||
		!headerHasToken(res.Header, "Connection", "upgrade") ||
		res.Header.Get("Sec-Websocket-Accept") != acceptKey(key) {
		res.Body = http.NoBody // its reader goes back to the pool
		return nil, res, errBadHandshake
	}
	if !unwatch() {
		return nil, nil, fmt.Errorf("websocket handshake: %w", ctx.Err())
	}
	bc := &backendConn{conn: conn, subprotocol: res.Header.Get("Sec-Websocket-Protocol")}
	if n := br.Buffered(); n > 0 {
		bc.early = make([]byte, n)
		_, _ = br.Read(bc.early)
	}
	_ = conn.SetDeadline(time.Time{})
	return bc, res, nil
}

// httpURL is u with the http scheme its ws scheme stands for.
func httpURL(u *url.URL) *url.URL {
	out := *u
	out.Scheme = "http"
	if u.Scheme == "wss" {
		out.Scheme = "https"
	}
	return &out
}

func wsKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// acceptKey is the Sec-WebSocket-Accept answering key (RFC 6455, 4.2.2).
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// headerHasToken reports whether the comma-separated values of h[name]
// hold token, in any case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
