package kubeenv

import (
	"context"
	"net/http"
	"time"
)

// startEtcd runs a one-member etcd without fsync and returns its client URL.
func (e *Env) startEtcd(ctx context.Context) (string, error) {
	dir, err := e.path("etcd")
	if err != nil {
		return "", err
	}
	clientPort, err := freePort()
	if err != nil {
		return "", err
	}
	peerPort, err := freePort()
	if err != nil {
		return "", err
	}
	client := "http://127.0.0.1:" + clientPort
	peer := "http://127.0.0.1:" + peerPort
	p, err := e.run(dir, "etcd",
		"--name=kubeenv",
		"--data-dir="+dir+"/data",
		"--listen-client-urls="+client,
		"--advertise-client-urls="+client,
		"--listen-peer-urls="+peer,
		"--initial-advertise-peer-urls="+peer,
		"--initial-cluster=kubeenv="+peer,
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	if err != nil {
		return "", err
	}
	c := &http.Client{Timeout: 5 * time.Second}
	return client, poll(ctx, "etcd /health", p, httpOK(c, client+"/health"))
}
