// Package auth owns who a request comes from and what they may do: the
// development and OIDC logins, signing in and out (the user record, their
// namespace, signed session cookies, revocations), the API token policy
// (lifetimes, scopes, hashed secrets, the per-user limit), sharing of
// namespaces with contributors, and the one access policy that the API and
// the proxy both ask.
package auth

import (
	"errors"
	"time"
)

// ErrUnauthenticated means the request carries no valid session or token.
var ErrUnauthenticated = errors.New("auth: unauthenticated")

// Identity is the authenticated caller of a request.
type Identity struct {
	UserID    string    // stable id: the email, or the dev login name
	Name      string    // display name
	Email     string    //
	Groups    []string  //
	Namespace string    // the namespace the user owns
	Admin     bool      //
	SessionID string    // the session's id (jti); empty for API tokens
	Audience  string    // a workspace session's origin host; empty on the hub
	TokenID   string    // the API token's id; empty for sessions
	TokenHash string    // the API token's stored hash, as revocations name it
	Scopes    []string  // an API token's scopes; nil for sessions (all)
	Expires   time.Time // when the session or token expires
}
