package kube

import (
	"context"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

// logLines is how many of the last lines Logs asks the kubelet for, and
// logReadLimit how much of them it reads at most.
const (
	logLines     = 2000
	logReadLimit = 4 << 20
)

// Logs implements spawner.LogReader: the end of the server container's
// log, as the kubelet keeps it while the pod exists.
func (b *Backend) Logs(ctx context.Context, srv store.Server, maxBytes int) ([]byte, error) {
	lines := int64(logLines)
	req := b.client.CoreV1().Pods(srv.Namespace).GetLogs(srv.Name, &corev1.PodLogOptions{
		Container: containerName, TailLines: &lines,
	})
	rc, err := req.Stream(ctx)
	if apierrors.IsNotFound(err) {
		return nil, spawner.ErrNoLogs
	}
	if err != nil {
		return nil, fmt.Errorf("logs of pod %s/%s: %w", srv.Namespace, srv.Name, err)
	}
	defer rc.Close()
	out, err := io.ReadAll(io.LimitReader(rc, logReadLimit))
	if err != nil {
		return nil, fmt.Errorf("logs of pod %s/%s: %w", srv.Namespace, srv.Name, err)
	}
	if len(out) > maxBytes {
		out = out[len(out)-maxBytes:]
	}
	return out, nil
}
