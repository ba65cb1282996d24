package kubeenv

import (
	"context"
	"fmt"
	"path/filepath"

	"k8s.io/client-go/kubernetes"
)

// startAPIServer runs kube-apiserver against etcd, waits for /readyz and
// fills in Host, CAFile, AdminConfig, Admin and Kubeconfig.
func (e *Env) startAPIServer(ctx context.Context, etcdURL string, extra []Token) error {
	dir, err := e.path("apiserver")
	if err != nil {
		return err
	}
	tokens := filepath.Join(dir, "tokens.csv")
	if err := e.writeTokens(tokens, extra); err != nil {
		return err
	}
	saKey := filepath.Join(dir, "sa.key")
	if err := writeServiceAccountKey(saKey); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	certs := filepath.Join(dir, "certs")
	p, err := e.run(dir, "kube-apiserver",
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+port,
		"--endpoint-reconciler-type=none", // 1.37 refuses a loopback advertise address otherwise
		"--cert-dir="+certs,               // generates apiserver.crt for 127.0.0.1
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+saKey,
		"--service-account-signing-key-file="+saKey,
		"--token-auth-file="+tokens,
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.96.0.0/16",
	)
	if err != nil {
		return err
	}
	e.Host = "https://127.0.0.1:" + port
	e.CAFile = filepath.Join(certs, "apiserver.crt")
	err = poll(ctx, "kube-apiserver /readyz", p, func(ctx context.Context) (bool, error) {
		c, err := caClient(e.CAFile)
		if err != nil {
			return false, err
		}
		return httpOK(c, e.Host+"/readyz")(ctx)
	})
	if err != nil {
		return err
	}
	e.AdminConfig = e.ConfigFor(e.AdminToken)
	if e.Admin, err = kubernetes.NewForConfig(e.AdminConfig); err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	e.saKey = saKey
	e.Kubeconfig, err = e.WriteKubeconfig(dir, AdminUser, e.AdminToken)
	return err
}
