package dexenv

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// formAction finds the action of the first form in Dex's login page.
var formAction = regexp.MustCompile(`(?is)<form[^>]*\baction="([^"]*)"`)

// Login plays the browser: it GETs startURL (spawnhub's /login), follows
// the redirects to Dex's local login form, posts email and password, and
// follows the redirects back until spawnhub's callback (one of the
// client's redirect URIs) has answered. It returns that answer, unread and
// unfollowed; client's cookie jar then holds what the callback set.
// client must have a cookie jar.
func (d *Dex) Login(t testing.TB, client *http.Client, startURL, email, password string) *http.Response {
	t.Helper()
	if client.Jar == nil {
		t.Fatal("dexenv: Login needs a client with a cookie jar")
	}
	c := *client
	c.CheckRedirect = d.stopAfterCallback
	resp, err := c.Get(startURL)
	if err != nil {
		t.Fatalf("dexenv: GET %s: %v", startURL, err)
	}
	if d.isCallback(resp.Request.URL) {
		return resp // already signed in at Dex
	}
	action, err := loginForm(resp)
	if err != nil {
		t.Fatalf("dexenv: after GET %s: %v", startURL, err)
	}
	resp, err = c.PostForm(action, url.Values{"login": {email}, "password": {password}})
	if err != nil {
		t.Fatalf("dexenv: POST login form: %v", err)
	}
	if !d.isCallback(resp.Request.URL) {
		body := readSome(resp)
		t.Fatalf("dexenv: login of %s ended at %s (status %d), not at the callback: %s",
			email, resp.Request.URL.Redacted(), resp.StatusCode, body)
	}
	return resp
}

// stopAfterCallback follows redirects but returns the callback's own
// response instead of following where it redirects.
func (d *Dex) stopAfterCallback(req *http.Request, via []*http.Request) error {
	if len(via) >= 20 {
		return errors.New("stopped after 20 redirects")
	}
	if d.isCallback(via[len(via)-1].URL) {
		return http.ErrUseLastResponse
	}
	return nil
}

func (d *Dex) isCallback(u *url.URL) bool {
	for _, r := range d.redirectURIs {
		cb, err := url.Parse(r)
		if err == nil && cb.Scheme == u.Scheme && cb.Host == u.Host && cb.Path == u.Path {
			return true
		}
	}
	return false
}

// loginForm reads resp, which must be Dex's login page, and returns the
// absolute URL its form posts to.
func loginForm(resp *http.Response) (string, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", resp.Request.URL.Redacted(), err)
	}
	m := formAction.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		return "", fmt.Errorf("no login form at %s (status %d): %.500s", resp.Request.URL.Redacted(), resp.StatusCode, body)
	}
	action, err := url.Parse(html.UnescapeString(string(m[1])))
	if err != nil {
		return "", fmt.Errorf("login form action %q: %w", m[1], err)
	}
	return resp.Request.URL.ResolveReference(action).String(), nil
}

func readSome(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
	return strings.TrimSpace(string(b))
}
