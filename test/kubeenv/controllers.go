package kubeenv

import "context"

// startScheduler runs kube-scheduler without leader election.
func (e *Env) startScheduler(ctx context.Context) error {
	_, err := e.startController(ctx, "kube-scheduler")
	return err
}

// startControllerManager runs every controller of
// kube-controller-manager, signing service account tokens with the API
// server's key.
func (e *Env) startControllerManager(ctx context.Context) error {
	p, err := e.startController(ctx, "kube-controller-manager",
		"--service-account-private-key-file="+e.saKey,
		"--root-ca-file="+e.CAFile,
		"--use-service-account-credentials=false",
		"--controllers=*",
		"--cluster-cidr=10.244.0.0/16",
		"--service-cluster-ip-range=10.96.0.0/16",
	)
	e.controllerManager = p
	return err
}

// startController runs name with the admin kubeconfig on a free port and
// waits for its /healthz.
func (e *Env) startController(ctx context.Context, name string, extra ...string) (*proc, error) {
	dir, err := e.path(name)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{
		"--kubeconfig=" + e.Kubeconfig,
		"--authentication-kubeconfig=" + e.Kubeconfig,
		"--authorization-kubeconfig=" + e.Kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + port,
		"--cert-dir=" + dir,
		"--leader-elect=false",
	}, extra...)
	p, err := e.run(dir, name, args...)
	if err != nil {
		return nil, err
	}
	return p, poll(ctx, name+" /healthz", p, httpOK(selfSignedClient(), "https://127.0.0.1:"+port+"/healthz"))
}
