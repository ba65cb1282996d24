package kubeenv

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/csv"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// randomToken returns 32 hex characters from crypto/rand.
func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b) // never returns an error
	return hex.EncodeToString(b)
}

// writeTokens writes the API server's static token file: admin,
// unprivileged, then extra, filling in empty tokens. It records every
// token on e.
func (e *Env) writeTokens(path string, extra []Token) error {
	e.AdminToken = randomToken()
	e.UnprivilegedToken = randomToken()
	rows := [][]string{
		{e.AdminToken, AdminUser, AdminUser + "-id", "system:masters"},
		{e.UnprivilegedToken, UnprivilegedUser, UnprivilegedUID, ""},
	}
	for _, t := range extra {
		if t.User == "" {
			return fmt.Errorf("extra token without a user")
		}
		if t.Token == "" {
			t.Token = randomToken()
		}
		e.Tokens[t.User] = t.Token
		rows = append(rows, []string{t.Token, t.User, t.User + "-id", strings.Join(t.Groups, ",")})
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create token file: %w", err)
	}
	w := csv.NewWriter(f)
	w.WriteAll(rows) // records the error for w.Error
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write token file: %w", err)
	}
	return f.Close()
}

// writeServiceAccountKey writes a fresh RSA key that signs and verifies
// service account tokens.
func writeServiceAccountKey(path string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate service account key: %w", err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return os.WriteFile(path, b, 0o600)
}

// ConfigFor returns a client config for the API server that authenticates
// with token.
func (e *Env) ConfigFor(token string) *rest.Config {
	return &rest.Config{
		Host:            e.Host,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: e.CAFile},
		QPS:             100,
		Burst:           200,
	}
}

// WriteKubeconfig writes a kubeconfig for token into a file in dir and
// returns its path.
func (e *Env) WriteKubeconfig(dir, user, token string) (string, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kubeenv"] = &clientcmdapi.Cluster{Server: e.Host, CertificateAuthority: e.CAFile}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["kubeenv"] = &clientcmdapi.Context{Cluster: "kubeenv", AuthInfo: user}
	cfg.CurrentContext = "kubeenv"
	path := filepath.Join(dir, user+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", fmt.Errorf("write kubeconfig: %w", err)
	}
	return path, nil
}
