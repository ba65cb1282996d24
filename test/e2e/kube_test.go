package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spawnhub/spawnhub/spawner/kube"
	"github.com/spawnhub/spawnhub/test/kubeenv"
	"github.com/spawnhub/spawnhub/test/poll"
)

// kubeConfigYAML runs spawnhub with the kubernetes backend against the
// test control plane. The image is never pulled: kwok runs the pod, and
// the test runs the real Jupyter at the pod's loopback address.
const kubeConfigYAML = `
spawner:
  backend: kubernetes
  kubernetes:
    kubeconfig: %s
    createNamespaces: true
  images:
  - id: jupyter
    kind: jupyter
    container: quay.io/jupyter/base-notebook:test
    readyPath: api
  limits:
    cpu: {min: "100m", max: "2", default: "500m"}
    memory: {min: 256Mi, max: 4Gi, default: 1Gi}
    workspaceSize: {min: 1Gi, max: 4Gi, default: 1Gi}
`

// TestJupyterOnKubernetes: login → launch → pod Running (kwok) → a real
// Jupyter on the pod's address and port, with the token the pod carries →
// a kernel computes 6*7 through the proxy.
func TestJupyterOnKubernetes(t *testing.T) {
	requireTool(t, "/usr/bin/python3")
	requireTool(t, "jupyter-notebook")
	env := kubeenv.Start(t, kubeenv.Options{})
	var alice *http.Client
	hub := startSpawnhub(t, spawnhubEnv{
		env: []string{
			"SPAWNHUB_LISTEN=127.0.0.1:" + fmt.Sprint(freePort(t)),
			"SPAWNHUB_DATADIR=" + t.TempDir(),
			"SPAWNHUB_AUTH_SESSIONKEYS=k1:" + strings.Repeat("k", 40),
		},
		config:     fmt.Sprintf(kubeConfigYAML, env.Kubeconfig),
		beforeStop: func(base string) { stopAllServers(t, alice, base, "alice") },
	})
	alice = login(t, hub.URL, "alice")

	began := time.Now()
	srv := mustCall(t, alice, http.StatusCreated, "POST", hub.URL+"/api/v1/namespaces/alice/launch", map[string]string{"image": "jupyter"})
	name := srv["name"].(string)
	waitRunning(t, alice, hub.URL, "alice", name)
	t.Logf("launch to running (pod Running and Ready under kwok): %v", time.Since(began).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	pod, err := env.Admin.CoreV1().Pods("alice").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := env.Admin.CoreV1().Secrets("alice").Get(ctx, kube.TokenSecretName(name), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ip := net.ParseIP(pod.Status.PodIP)
	if ip == nil || !ip.IsLoopback() {
		t.Fatalf("pod IP %q is not a loopback address; refusing to send traffic there", pod.Status.PodIP)
	}
	prefix := "/notebook/alice/" + name + "/"
	startJupyterAt(t, pod.Status.PodIP, prefix, string(secret.Data["token"]))

	base := hub.URL + strings.TrimSuffix(prefix, "/")
	poll.Until(t, 60*time.Second, "Jupyter through the proxy", func() bool {
		got, _ := call(t, alice, "GET", base+"/api/status", nil)
		return got == http.StatusOK
	})
	kernel := mustCall(t, alice, http.StatusCreated, "POST", base+"/api/kernels", map[string]string{"name": "python3"})
	ws, _, err := dialWS(t, alice, hub.URL, prefix+"api/kernels/"+kernel["id"].(string)+"/channels")
	if err != nil {
		t.Fatalf("kernel websocket through the proxy: %v", err)
	}
	defer ws.Close()
	if got := executeOnKernel(t, ws, "6*7"); got != "42" {
		t.Errorf("6*7 on the kernel = %q, want 42", got)
	}
}

// startJupyterAt runs the classic notebook server where the pod "listens":
// its loopback address and port 8888, under the server's base URL, with
// the pod's token. It is stopped by pid at the end of the test.
func startJupyterAt(t *testing.T, ip, baseURL, token string) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command("/usr/bin/python3", "-m", "notebook", "--no-browser", "--ip="+ip, "--port=8888",
		"--port-retries=0", "--NotebookApp.base_url="+baseURL, "--NotebookApp.token="+token,
		"--NotebookApp.allow_remote_access=True", "--allow-root", "--notebook-dir="+home)
	cmd.Dir = home
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "JUPYTER_RUNTIME_DIR=" + home + "/runtime"}
	logs := &logBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("jupyter logs:\n%s", logs.String())
		}
	})
}
