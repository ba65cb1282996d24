package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Errors of the OIDC login. Each wraps details that are safe to log (never a
// token, code or secret).
var (
	// ErrLoginState: the callback does not belong to a login this browser
	// started (state cookie missing, expired or tampered, or state differs).
	// Start the login again.
	ErrLoginState = errors.New("auth: login state invalid")
	// ErrLoginDenied: the provider or our rules refused the user (the
	// provider answered access_denied, no usable email, domain not allowed).
	ErrLoginDenied = errors.New("auth: login denied")
	// ErrLoginToken: the provider's ID token failed verification (signature,
	// issuer, audience, expiry or nonce).
	ErrLoginToken = errors.New("auth: login token invalid")
	// ErrLoginProvider: the provider reported an error or the code exchange
	// failed.
	ErrLoginProvider = errors.New("auth: login provider error")
)

// loginTTL is how long a started login may take before its state expires.
const loginTTL = 10 * time.Minute

// providerTimeout bounds each request to the provider when the caller gave
// no HTTP client of its own.
const providerTimeout = 30 * time.Second

// OIDC signs users in with an OpenID Connect provider: the authorization
// code flow with PKCE (S256), state and nonce. It keeps no server-side state:
// a login in progress lives in a sealed, short-lived cookie.
type OIDC struct {
	cfg      OIDCConfig
	oauth2   oauth2.Config
	verifier *oidc.IDTokenVerifier
	state    *stateSealer
	client   *http.Client
	secure   bool
	now      func() time.Time
}

// NewOIDC discovers the provider (its /.well-known/openid-configuration)
// and prepares the client. stateKey (at least 32 bytes) seals the login
// state cookie; secure marks that cookie Secure (site served over TLS). An
// HTTP client set on ctx with oidc.ClientContext is used for every request
// to the provider.
func NewOIDC(ctx context.Context, cfg OIDCConfig, stateKey []byte, secure bool, now func() time.Time) (*OIDC, error) {
	cfg, err := withOIDCDefaults(cfg)
	if err != nil {
		return nil, err
	}
	sealer, err := newStateSealer(stateKey)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	client, ok := ctx.Value(oauth2.HTTPClient).(*http.Client)
	if !ok || client == nil {
		client = &http.Client{Timeout: providerTimeout}
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, client), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover OIDC provider %s: %w", cfg.Issuer, err)
	}
	return &OIDC{
		cfg: cfg,
		oauth2: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  cfg.RedirectURL,
			Scopes:       cfg.Scopes,
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: now}),
		state:    sealer,
		client:   client,
		secure:   secure,
		now:      now,
	}, nil
}

// withOIDCDefaults checks cfg, reads the client secret file when no secret
// is given, and fills in default scopes and claim names.
func withOIDCDefaults(cfg OIDCConfig) (OIDCConfig, error) {
	var errs []error
	if cfg.Issuer == "" {
		errs = append(errs, errors.New("oidc: issuer is required"))
	}
	if cfg.ClientID == "" {
		errs = append(errs, errors.New("oidc: clientID is required"))
	}
	if cfg.RedirectURL == "" {
		errs = append(errs, errors.New("oidc: redirectURL is required"))
	}
	if cfg.ClientSecret == "" && cfg.ClientSecretFile != "" {
		b, err := os.ReadFile(cfg.ClientSecretFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("oidc: client secret file: %w", err))
		}
		cfg.ClientSecret = strings.TrimSpace(string(b))
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, err
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{oidc.ScopeOpenID, "email", "profile", "groups"}
	}
	if len(cfg.EmailClaims) == 0 {
		cfg.EmailClaims = []string{"email", "preferred_username", "upn"}
	}
	if cfg.NameClaim == "" {
		cfg.NameClaim = "name"
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	return cfg, nil
}

// Begin starts a login: it keeps a fresh state, nonce and PKCE verifier with
// next (reduced to a local path, else "/") in the login state cookie, and
// returns the provider URL to redirect the browser to.
func (o *OIDC) Begin(w http.ResponseWriter, r *http.Request, next string) (string, error) {
	st := loginState{
		State:    randomID(),
		Nonce:    randomID(),
		Verifier: oauth2.GenerateVerifier(),
		Next:     localPath(next),
		Expires:  o.now().Add(loginTTL).Unix(),
	}
	value, err := o.state.seal(st)
	if err != nil {
		return "", err
	}
	setStateCookie(w, value, o.now().Add(loginTTL), o.secure)
	return o.oauth2.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), nil
}

// Finish completes the login on the provider's redirect back: it checks the
// state, exchanges the code with the PKCE verifier, verifies the ID token
// and its nonce, and returns who signed in (Namespace left for the caller)
// and the local path to go to next. The state cookie is cleared whatever
// the outcome, so a callback cannot be replayed.
func (o *OIDC) Finish(w http.ResponseWriter, r *http.Request) (Identity, string, error) {
	st, err := o.state.open(stateCookie(r), o.now())
	clearStateCookie(w, o.secure)
	q := r.URL.Query()
	if code := q.Get("error"); code != "" {
		return Identity{}, "", providerError(code, q.Get("error_description"))
	}
	if err != nil {
		return Identity{}, "", err
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1 {
		return Identity{}, "", fmt.Errorf("%w: state differs from the one sent", ErrLoginState)
	}
	idt, err := o.exchange(r.Context(), q.Get("code"), st)
	if err != nil {
		return Identity{}, "", err
	}
	id, err := o.identity(idt)
	if err != nil {
		return Identity{}, "", err
	}
	return id, st.Next, nil
}

// exchange trades the code for tokens and verifies the ID token and nonce.
func (o *OIDC) exchange(ctx context.Context, code string, st loginState) (*oidc.IDToken, error) {
	if code == "" {
		return nil, fmt.Errorf("%w: no code in the callback", ErrLoginProvider)
	}
	ctx = oidc.ClientContext(ctx, o.client)
	tok, err := o.oauth2.Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return nil, fmt.Errorf("%w: exchange code: %w", ErrLoginProvider, exchangeError(err, code))
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, fmt.Errorf("%w: no id_token in the token response", ErrLoginToken)
	}
	idt, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLoginToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return nil, fmt.Errorf("%w: nonce differs from the one sent", ErrLoginToken)
	}
	return idt, nil
}

// exchangeError keeps the provider's error code and description from a
// failed exchange, dropping the raw response body and any echo of the code.
func exchangeError(err error, code string) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		desc := strings.ReplaceAll(re.ErrorDescription, code, "[code]")
		return fmt.Errorf("%s: %s", printable(re.ErrorCode), printable(desc))
	}
	if errors.As(err, &re) && re.Response != nil {
		return fmt.Errorf("token endpoint answered %s", re.Response.Status)
	}
	return err
}

// providerError reports an error the provider sent to the callback.
// access_denied (the user or the provider refused) is ErrLoginDenied.
func providerError(code, description string) error {
	sentinel := ErrLoginProvider
	if code == "access_denied" {
		sentinel = ErrLoginDenied
	}
	return fmt.Errorf("%w: provider answered %s: %s", sentinel, printable(code), printable(description))
}

// printable shortens text from the provider and removes control characters,
// so that it can be logged or shown.
func printable(s string) string {
	const maxLen = 200
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxLen {
		s = strings.ToValidUTF8(s[:maxLen], "") + "…"
	}
	return s
}
