package auth

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
)

// identity reads who signed in from a verified ID token.
func (o *OIDC) identity(idt *oidc.IDToken) (Identity, error) {
	var claims map[string]json.RawMessage
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: read ID token claims: %w", ErrLoginToken, err)
	}
	return identityFromClaims(o.cfg, claims)
}

// identityFromClaims applies the configured claim names and the domain
// allow-list. cfg carries its defaults already.
func identityFromClaims(cfg OIDCConfig, claims map[string]json.RawMessage) (Identity, error) {
	email := emailFrom(claims, cfg.EmailClaims)
	if email == "" {
		return Identity{}, fmt.Errorf("%w: no email address in claims %v", ErrLoginDenied, cfg.EmailClaims)
	}
	if !domainAllowed(email, cfg.AllowedDomains) {
		return Identity{}, fmt.Errorf("%w: email domain of %s not allowed", ErrLoginDenied, email)
	}
	name := stringClaim(claims, cfg.NameClaim)
	if name == "" {
		name = email
	}
	return Identity{
		UserID: email,
		Name:   name,
		Email:  email,
		Groups: stringsClaim(claims, cfg.GroupsClaim),
	}, nil
}

// emailFrom returns the first claim of names holding an email address,
// lower-cased. An email the provider marks unverified (email_verified:
// false) is skipped.
func emailFrom(claims map[string]json.RawMessage, names []string) string {
	for _, n := range names {
		if n == "email" && boolClaim(claims, "email_verified") == "false" {
			continue
		}
		if e := strings.ToLower(strings.TrimSpace(stringClaim(claims, n))); validEmail(e) {
			return e
		}
	}
	return ""
}

// validEmail accepts local@domain with one @, both parts non-empty, and no
// spaces or control characters.
func validEmail(e string) bool {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return false
	}
	return !strings.ContainsFunc(e, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// domainAllowed reports whether email's domain is in allowed (any domain
// when allowed is empty). Entries may be written "example.org" or
// "@example.org", in any case.
func domainAllowed(email string, allowed []string) bool {
	if len(allowed) == 0 {
		return true
	}
	_, domain, _ := strings.Cut(email, "@")
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimPrefix(strings.TrimSpace(a), "@"), domain) {
			return true
		}
	}
	return false
}

// stringClaim returns a string claim, or "" if absent or of another type.
func stringClaim(claims map[string]json.RawMessage, name string) string {
	var s string
	if err := json.Unmarshal(claims[name], &s); err != nil {
		return ""
	}
	return s
}

// boolClaim returns "true" or "false" for a boolean claim (some providers
// send it as a string), or "" if absent.
func boolClaim(claims map[string]json.RawMessage, name string) string {
	var b bool
	if err := json.Unmarshal(claims[name], &b); err == nil {
		return fmt.Sprint(b)
	}
	s := strings.ToLower(stringClaim(claims, name))
	if s == "true" || s == "false" {
		return s
	}
	return ""
}

// stringsClaim accepts a JSON array of strings (other elements are skipped)
// or a single string; anything else gives no values.
func stringsClaim(claims map[string]json.RawMessage, name string) []string {
	if s := stringClaim(claims, name); s != "" {
		return []string{s}
	}
	var items []any
	if err := json.Unmarshal(claims[name], &items); err != nil {
		return nil
	}
	var out []string
	for _, it := range items {
		if s, ok := it.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// localPath returns next if it is a path on this site, else "/". It refuses
// anything a browser could take for another host: a scheme, a host,
// "//host", backslashes ("/\host") and control characters.
func localPath(next string) string {
	const maxLen = 2048
	if len(next) > maxLen || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	if strings.ContainsAny(next, "\\") || strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "//") || strings.Contains(u.Path, "\\") {
		return "/"
	}
	return next
}
