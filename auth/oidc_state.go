package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// StateCookieName is the cookie that holds a login in progress. It is sent
// only to /oauth2/ (the callback); the proxy strips it like every spawnhub
// cookie.
const StateCookieName = "spawnhub_oidc"

const stateCookiePath = "/oauth2/"

// maxStateCookie bounds what open accepts, before any decoding.
const maxStateCookie = 4096

// loginState is what the browser keeps between Begin and Finish.
type loginState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"` // PKCE code verifier
	Next     string `json:"next"`
	Expires  int64  `json:"exp"` // Unix seconds
}

// stateSealer encrypts and authenticates login states with AES-256-GCM, the
// one algorithm accepted: a state cannot be read (it holds the PKCE
// verifier), forged or altered without the key.
type stateSealer struct {
	aead cipher.AEAD
}

// newStateSealer derives the cookie key from stateKey, so that the same
// secret may also serve elsewhere without the two uses meeting.
func newStateSealer(stateKey []byte) (*stateSealer, error) {
	if len(stateKey) < 32 {
		return nil, fmt.Errorf("oidc state key: at least 32 bytes needed, got %d", len(stateKey))
	}
	mac := hmac.New(sha256.New, stateKey)
	mac.Write([]byte("spawnhub oidc login state v1"))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("oidc state cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("oidc state cipher: %w", err)
	}
	return &stateSealer{aead: aead}, nil
}

// seal returns st as a cookie value: base64url(nonce || ciphertext).
func (s *stateSealer) seal(st loginState) (string, error) {
	plain, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("encode login state: %w", err)
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce) // never fails on Linux
	sealed := s.aead.Seal(nonce, nonce, plain, []byte(StateCookieName))
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// open returns the login state in value if it was sealed with this key and
// has not expired at now; otherwise ErrLoginState.
func (s *stateSealer) open(value string, now time.Time) (loginState, error) {
	if value == "" {
		return loginState{}, fmt.Errorf("%w: no login state cookie", ErrLoginState)
	}
	if len(value) > maxStateCookie {
		return loginState{}, fmt.Errorf("%w: login state cookie too long", ErrLoginState)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(value)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return loginState{}, fmt.Errorf("%w: login state cookie malformed", ErrLoginState)
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(StateCookieName))
	if err != nil {
		return loginState{}, fmt.Errorf("%w: login state cookie not authentic", ErrLoginState)
	}
	var st loginState
	if err := json.Unmarshal(plain, &st); err != nil || st.State == "" || st.Nonce == "" || st.Verifier == "" {
		return loginState{}, fmt.Errorf("%w: login state cookie incomplete", ErrLoginState)
	}
	if now.Unix() >= st.Expires {
		return loginState{}, fmt.Errorf("%w: login took too long, state expired", ErrLoginState)
	}
	st.Next = localPath(st.Next)
	return st, nil
}

func stateCookie(r *http.Request) string {
	c, err := r.Cookie(StateCookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

func setStateCookie(w http.ResponseWriter, value string, expires time.Time, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: StateCookieName, Value: value, Path: stateCookiePath,
		Expires: expires, MaxAge: int(loginTTL / time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

func clearStateCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: StateCookieName, Value: "", Path: stateCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}
