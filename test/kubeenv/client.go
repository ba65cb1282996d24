package kubeenv

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kubectlTimeout bounds one Kubectl call.
const kubectlTimeout = 2 * time.Minute

// Kubectl runs kubectl as the admin and returns its combined output.
func (e *Env) Kubectl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	args = append([]string{"--kubeconfig=" + e.Kubeconfig}, args...)
	out, err := exec.CommandContext(ctx, filepath.Join(e.BinDir, "kubectl"), args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %v: %w: %s", args[1:], err, out)
	}
	return string(out), nil
}

// CreateNamespace creates namespace name with labels and, when the
// controller-manager runs, waits for its "default" ServiceAccount: until
// it exists the ServiceAccount admission plugin rejects pods that do not
// name another account.
func (e *Env) CreateNamespace(ctx context.Context, name string, labels map[string]string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := e.Admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	if e.controllerManager == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	return poll(ctx, "service account "+name+"/default", e.controllerManager, func(ctx context.Context) (bool, error) {
		_, err := e.Admin.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, err
		}
		return err == nil, err
	})
}
