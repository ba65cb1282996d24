package dexenv

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// config is the part of Dex's configuration file that tests use. Dex reads
// YAML, so JSON does too.
type config struct {
	Issuer           string           `json:"issuer"`
	Storage          storage          `json:"storage"`
	Web              web              `json:"web"`
	OAuth2           oauth2           `json:"oauth2"`
	Logger           logger           `json:"logger"`
	StaticClients    []staticClient   `json:"staticClients"`
	EnablePasswordDB bool             `json:"enablePasswordDB"`
	StaticPasswords  []staticPassword `json:"staticPasswords"`
}

type storage struct {
	Type string `json:"type"`
}

type web struct {
	HTTP string `json:"http"`
}

type oauth2 struct {
	SkipApprovalScreen bool `json:"skipApprovalScreen"`
	// PasswordConnector enables the password grant, handy for debugging.
	PasswordConnector string `json:"passwordConnector"`
}

type logger struct {
	Level string `json:"level"`
}

type staticClient struct {
	ID           string   `json:"id"`
	Secret       string   `json:"secret"`
	Name         string   `json:"name"`
	RedirectURIs []string `json:"redirectURIs"`
}

// staticPassword is one entry of staticPasswords. This Dex version reads
// name, preferredUsername, emailVerified and groups there too; the local
// connector puts groups into the ID token's "groups" claim.
type staticPassword struct {
	Email    string   `json:"email"`
	Hash     string   `json:"hash"` // bcrypt, cost at least 10 (Dex refuses less)
	Username string   `json:"username"`
	Name     string   `json:"name,omitempty"`
	UserID   string   `json:"userID"`
	Groups   []string `json:"groups,omitempty"`
}

func writeConfig(path, issuer, addr string, opts Options) error {
	users, err := staticPasswords(opts.Users)
	if err != nil {
		return err
	}
	c := config{
		Issuer:           issuer,
		Storage:          storage{Type: "memory"},
		Web:              web{HTTP: addr},
		OAuth2:           oauth2{SkipApprovalScreen: true, PasswordConnector: "local"},
		Logger:           logger{Level: "info"},
		StaticClients:    []staticClient{{ID: opts.ClientID, Secret: opts.ClientSecret, Name: "spawnhub", RedirectURIs: opts.RedirectURIs}},
		EnablePasswordDB: true,
		StaticPasswords:  users,
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode dex config: %w", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write dex config: %w", err)
	}
	return nil
}

func staticPasswords(users []User) ([]staticPassword, error) {
	out := make([]staticPassword, 0, len(users))
	for _, u := range users {
		hash, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.DefaultCost)
		if err != nil {
			return nil, fmt.Errorf("hash password of %s: %w", u.Email, err)
		}
		username := u.Username
		if username == "" {
			username, _, _ = strings.Cut(u.Email, "@")
		}
		sum := sha256.Sum256([]byte(strings.ToLower(u.Email)))
		out = append(out, staticPassword{
			Email: u.Email, Hash: string(hash), Username: username, Name: u.Name,
			UserID: hex.EncodeToString(sum[:16]), Groups: u.Groups,
		})
	}
	return out, nil
}
