package auth

import (
	"crypto/subtle"
	"net/http"
	"time"
)

// Cookie names. Behind TLS they carry the __Host- prefix, which browsers
// only accept from a secure origin, host-only (no Domain) and on Path=/: a
// neighbouring host can then neither toss a cookie of that name nor scope
// one to a longer path.
const (
	hubCookie       = "spawnhub_session"   // the hub's session
	workspaceCookie = "spawnhub_workspace" // a workspace origin's own session
	signInState     = "spawnhub_state"     // a workspace sign-in in progress
	hostPrefix      = "__Host-"
)

// CookiePrefix starts the name of every cookie spawnhub sets (after an
// optional __Host- or __Secure- prefix). Workspaces may neither read nor
// set cookies named so.
const CookiePrefix = "spawnhub_"

// Cookies names and writes the session cookies of one deployment.
type Cookies struct {
	Secure bool // the site is served over TLS
}

// Hub is the name of the hub's session cookie.
func (c Cookies) Hub() string { return c.name(hubCookie) }

// Workspace is the name of a workspace origin's session cookie.
func (c Cookies) Workspace() string { return c.name(workspaceCookie) }

func (c Cookies) name(base string) string {
	if c.Secure {
		return hostPrefix + base
	}
	return base
}

// nameFor is the cookie a session with this audience lives in: the hub's
// when audience is empty, else the workspace origin's.
func (c Cookies) nameFor(audience string) string {
	if audience == "" {
		return c.Hub()
	}
	return c.Workspace()
}

// Set writes the session cookie for a token of the given audience
// ("" for the hub): host-only, HttpOnly, SameSite=Lax, Secure behind TLS.
func (c Cookies) Set(w http.ResponseWriter, audience, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: c.nameFor(audience), Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: c.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// Clear removes the session cookie of the given audience.
func (c Cookies) Clear(w http.ResponseWriter, audience string) {
	http.SetCookie(w, &http.Cookie{
		Name: c.nameFor(audience), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// stateTTL bounds how long a workspace sign-in may take (a login included).
const stateTTL = 10 * time.Minute

// SetState starts a workspace origin's sign-in: a random state kept in a
// cookie of that origin, returned to be sent through the hub and back.
func (c Cookies) SetState(w http.ResponseWriter) string {
	state := randomID()
	http.SetCookie(w, &http.Cookie{
		Name: c.name(signInState), Value: state, Path: "/", MaxAge: int(stateTTL / time.Second),
		HttpOnly: true, Secure: c.Secure, SameSite: http.SameSiteLaxMode,
	})
	return state
}

// TakeState checks that a sign-in callback carries the state this browser
// was given, and clears it.
func (c Cookies) TakeState(w http.ResponseWriter, r *http.Request, state string) bool {
	got := sessionCookie(r, c.name(signInState))
	http.SetCookie(w, &http.Cookie{
		Name: c.name(signInState), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.Secure, SameSite: http.SameSiteLaxMode,
	})
	return state != "" && subtle.ConstantTimeCompare([]byte(got), []byte(state)) == 1
}
