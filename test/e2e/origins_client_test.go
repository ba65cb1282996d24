package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Workspaces live on origins of their own, http://<ns>.localhost:<port>
// (DESIGN "Origins"). Browsers resolve *.localhost to loopback by
// themselves; these helpers do it for Go clients, and sign clients in to a
// workspace origin through the hub's handshake, as a browser does.

// loopbackDialer dials every *.localhost name on 127.0.0.1.
func loopbackDialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err == nil && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return d.DialContext(ctx, network, addr)
	}
}

// newBrowserlikeClient is a client with a cookie jar that reaches
// *.localhost origins and follows the workspace sign-in by itself: a
// request the hub redirects to a workspace origin is signed in there
// (authorize, one-time code, callback) and sent again on that origin.
// Other redirects are returned, not followed.
func newBrowserlikeClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{DialContext: loopbackDialer(), ForceAttemptHTTP2: false}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c.Transport = &workspaceSignIn{base: tr, jar: jar}
	return c
}

// workspaceSignIn is the transport of newBrowserlikeClient.
type workspaceSignIn struct {
	base http.RoundTripper
	jar  http.CookieJar
}

func (s *workspaceSignIn) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := s.base.RoundTrip(req)
	if err != nil || !isWorkspaceRedirect(req, res) {
		return res, err
	}
	to, _ := res.Location()
	s.jar.SetCookies(req.URL, res.Cookies())
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err := s.signIn(req.Context(), to); err != nil {
		return nil, err
	}
	again := req.Clone(req.Context())
	again.URL, again.Host = to, ""
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	again.Header.Del("Cookie")
	for _, ck := range s.jar.Cookies(to) {
		again.AddCookie(ck)
	}
	return s.base.RoundTrip(again)
}

// isWorkspaceRedirect reports whether the hub sent a workspace request to
// a workspace origin.
func isWorkspaceRedirect(req *http.Request, res *http.Response) bool {
	if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusTemporaryRedirect {
		return false
	}
	to, err := res.Location()
	return err == nil && strings.HasSuffix(to.Hostname(), ".localhost") &&
		!strings.HasSuffix(req.URL.Hostname(), ".localhost") && strings.HasPrefix(req.URL.Path, "/notebook/")
}

// signIn opens u as a browser navigation and follows the redirects of the
// sign-in handshake until a page that is not a redirect.
func (s *workspaceSignIn) signIn(ctx context.Context, u *url.URL) error {
	for range 10 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		req.Header.Set("Accept", "text/html")
		for _, ck := range s.jar.Cookies(u) {
			req.AddCookie(ck)
		}
		res, err := s.base.RoundTrip(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		s.jar.SetCookies(u, res.Cookies())
		next, err := res.Location()
		if err != nil {
			return nil // arrived (or failed: the replayed request will tell)
		}
		u = next
	}
	return fmt.Errorf("workspace sign-in at %s: too many redirects", u)
}

// workspaceOrigin is namespace ns's workspace origin for the hub at base.
func workspaceOrigin(base, ns string) string {
	u, _ := url.Parse(base)
	return "http://" + ns + ".localhost:" + u.Port()
}

// namespaceOf is the <ns> of a /notebook/<ns>/… path.
func namespaceOf(path string) string {
	rest, _ := strings.CutPrefix(path, "/notebook/")
	ns, _, _ := strings.Cut(rest, "/")
	return ns
}

// signInWorkspace signs c in to the workspace origin of the server at path
// (/notebook/<ns>/<server>/…) and returns that origin.
func signInWorkspace(t *testing.T, c *http.Client, base, path string) string {
	t.Helper()
	origin := workspaceOrigin(base, namespaceOf(path))
	u, _ := url.Parse(origin + path)
	s, ok := c.Transport.(*workspaceSignIn)
	if !ok {
		t.Fatalf("client for %s is not a browser-like client", path)
	}
	if err := s.signIn(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return origin
}

// websocketDialer dials *.localhost on loopback.
var websocketDialer = websocket.Dialer{HandshakeTimeout: 10 * time.Second, NetDialContext: loopbackDialer()}

// dialWS opens a websocket to path (/notebook/<ns>/…) as a browser would:
// with a client, on the namespace's workspace origin, signed in there, with
// that origin's cookie and Origin; without, anonymously on the hub at base.
func dialWS(t *testing.T, c *http.Client, base, path string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if c == nil {
		h.Set("Origin", base)
		return websocketDialer.Dial("ws"+strings.TrimPrefix(base, "http")+path, h)
	}
	origin := signInWorkspace(t, c, base, path)
	h.Set("Cookie", sessionCookie(c, origin))
	h.Set("Origin", origin)
	return websocketDialer.Dial("ws"+strings.TrimPrefix(origin, "http")+path, h)
}
