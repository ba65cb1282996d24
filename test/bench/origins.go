package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// Workspaces are served on their namespace's own origin,
// http://<ns>.localhost:<port>: the load goes there, with that origin's
// cookie, as a browser's would.

// loopbackAddr dials *.localhost names on 127.0.0.1 (browsers resolve them
// to loopback by themselves; Go's resolver does not).
func loopbackAddr(addr string) string {
	if host, port, err := net.SplitHostPort(addr); err == nil && strings.HasSuffix(host, ".localhost") {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	return (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, network, loopbackAddr(addr))
}

// signInWorkspace goes through the workspace origin's sign-in (the hub's
// authorize step, the one-time code, the callback) as a browser and keeps
// the origin and its session cookie.
func (h *hub) signInWorkspace(ctx context.Context) error {
	hubURL, _ := url.Parse(h.url)
	h.wsBase = "http://" + h.ns + ".localhost:" + hubURL.Port()
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(hubURL, parseCookies(h.cookie))
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: dialLoopback}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.wsBase+h.workspace()+"api/status", nil)
	req.Header.Set("Accept", "text/html")
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("workspace sign-in: %w", err)
	}
	res.Body.Close()
	wsURL, _ := url.Parse(h.wsBase)
	var parts []string
	for _, ck := range jar.Cookies(wsURL) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	h.wsCookie = strings.Join(parts, "; ")
	if res.StatusCode != http.StatusOK || !strings.Contains(h.wsCookie, "spawnhub_workspace=") {
		return fmt.Errorf("workspace sign-in: status %d, cookies %q", res.StatusCode, h.wsCookie)
	}
	return nil
}

func parseCookies(header string) []*http.Cookie {
	r := http.Request{Header: http.Header{"Cookie": {header}}}
	return r.Cookies()
}
