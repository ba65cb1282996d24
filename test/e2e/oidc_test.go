package e2e

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spawnhub/spawnhub/test/dexenv"
)

// TestOIDCLoginWithDex signs in through a real OpenID provider (Dex, built
// from Go modules) with the authorization code flow, and checks that the
// session carries the user's email and groups, that group membership makes
// administrators, and that the post-login redirect stays on the site.
func TestOIDCLoginWithDex(t *testing.T) {
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	dex := dexenv.Start(t, dexenv.Options{
		RedirectURIs: []string{base + "/oauth2/callback"},
		Users: []dexenv.User{
			{Email: "Jane.Doe@example.org", Password: "jane-pass", Username: "jane", Name: "Jane Doe", Groups: []string{"analysts", "spawnhub-admins"}},
			{Email: "eve@elsewhere.example", Password: "eve-pass", Username: "eve", Name: "Eve"},
		},
	})
	hub := startSpawnhub(t, spawnhubEnv{env: []string{
		"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(port),
		"SPAWNHUB_DATADIR=" + t.TempDir(),
		"SPAWNHUB_AUTH_MODE=oidc",
		"SPAWNHUB_AUTH_SESSIONKEYS=k1:" + strings.Repeat("o", 40),
		"SPAWNHUB_AUTH_OIDC_ISSUER=" + dex.Issuer,
		"SPAWNHUB_AUTH_OIDC_CLIENTID=" + dex.ClientID,
		"SPAWNHUB_AUTH_OIDC_CLIENTSECRET=" + dex.ClientSecret,
		"SPAWNHUB_AUTH_OIDC_REDIRECTURL=" + base + "/oauth2/callback",
		"SPAWNHUB_AUTH_OIDC_ALLOWEDDOMAINS=example.org",
		"SPAWNHUB_AUTH_ADMINS_GROUPS=spawnhub-admins",
	}})

	t.Run("code flow signs in with email and groups", func(t *testing.T) {
		c := newBrowser()
		res := dex.Login(t, c, hub.URL+"/login?next="+url.QueryEscape("/notebook/jane-doe/lab/tree"), "Jane.Doe@example.org", "jane-pass")
		res.Body.Close()
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/notebook/jane-doe/lab/tree" {
			t.Errorf("callback answered %d to %q, want 303 back to the deep link", res.StatusCode, loc)
		}
		me := mustCall(t, c, http.StatusOK, "GET", hub.URL+"/api/v1/me", nil)
		groups := fmt.Sprint(me["groups"])
		if me["email"] != "jane.doe@example.org" || me["namespace"] != "jane-doe" || me["admin"] != true ||
			!strings.Contains(groups, "analysts") {
			t.Errorf("me = %v, want jane.doe@example.org in namespace jane-doe, admin through her group", me)
		}
		set := strings.Join(res.Header.Values("Set-Cookie"), "\n")
		if !strings.Contains(set, "spawnhub_session=") || !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Lax") {
			t.Errorf("callback Set-Cookie %q, want an HttpOnly SameSite=Lax session cookie", set)
		}
	})

	t.Run("no open redirect after login", func(t *testing.T) {
		c := newBrowser()
		res := dex.Login(t, c, hub.URL+"/login?next="+url.QueryEscape("https://evil.example/x"), "Jane.Doe@example.org", "jane-pass")
		res.Body.Close()
		if loc := res.Header.Get("Location"); loc != "/" {
			t.Errorf("next=https://evil.example: redirected to %q, want /", loc)
		}
	})

	t.Run("domain not allowed", func(t *testing.T) {
		c := newBrowser()
		res := dex.Login(t, c, hub.URL+"/login", "eve@elsewhere.example", "eve-pass")
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("eve from another domain: callback status %d, want 403", res.StatusCode)
		}
		if got, _ := call(t, c, "GET", hub.URL+"/api/v1/me", nil); got != http.StatusUnauthorized {
			t.Errorf("eve after refused login: /api/v1/me = %d, want 401", got)
		}
	})

	t.Run("forged callback", func(t *testing.T) {
		c := newBrowser()
		status, _ := call(t, c, "GET", hub.URL+"/oauth2/callback?code=stolen&state=guess", nil)
		if status != http.StatusBadRequest {
			t.Errorf("callback without a login in progress: %d, want 400", status)
		}
	})

	t.Run("development login is off", func(t *testing.T) {
		c := newBrowser()
		res, err := c.PostForm(hub.URL+"/login", url.Values{"username": {"mallory"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound || sessionCookieOf(c, hub.URL) != nil {
			t.Errorf("dev login in oidc mode: %d, want 404 and no session", res.StatusCode)
		}
	})
}

// newBrowser is a client with a cookie jar that does not follow redirects.
func newBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func sessionCookieOf(c *http.Client, base string) *http.Cookie {
	u, _ := url.Parse(base)
	i := slices.IndexFunc(c.Jar.Cookies(u), func(ck *http.Cookie) bool { return ck.Name == "spawnhub_session" })
	if i < 0 {
		return nil
	}
	return c.Jar.Cookies(u)[i]
}
