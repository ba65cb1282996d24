package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// tokenPrefix marks spawnhub API tokens, so that secret scanners and people
// can recognise one.
const tokenPrefix = "shp_"

// Scopes an API token may carry.
const (
	ScopeServers = "servers" // use and manage servers, through the API and the proxy
	ScopeAdmin   = "admin"   // the admin API, for administrators
)

// NewTokenSecret returns a fresh API token secret and the hash to store.
// The secret is shown to its owner once and never stored.
func NewTokenSecret() (secret, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails on Linux
	secret = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashToken(secret)
}

// HashToken is the stored form of a token secret: hex SHA-256. The secret is
// 256 random bits, so a fast hash is enough (no password stretching needed).
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// looksLikeToken tells an API token from other bearer credentials cheaply.
func looksLikeToken(s string) bool {
	return strings.HasPrefix(s, tokenPrefix) && len(s) > len(tokenPrefix)+40
}

// HasScope reports whether the identity may act with scope; sessions carry
// every scope.
func (id Identity) HasScope(scope string) bool {
	if id.Scopes == nil {
		return true
	}
	for _, s := range id.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}
