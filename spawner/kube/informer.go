package kube

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

// watchPods installs the handlers of the managed-pod informer.
func (b *Backend) watchPods() error {
	_, err := b.pods.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { b.podChanged(obj) },
		UpdateFunc: func(_, obj any) { b.podChanged(obj) },
		DeleteFunc: b.podDeleted,
	})
	return err
}

// keyOf is the server a managed pod runs.
func keyOf(pod *corev1.Pod) (store.Key, bool) {
	name := pod.Labels[LabelServer]
	return store.Key{Namespace: pod.Namespace, Name: name}, name != ""
}

func (b *Backend) podChanged(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	key, ok := keyOf(pod)
	if !ok {
		return
	}
	b.mu.Lock()
	b.keys[pod.UID] = key
	b.mu.Unlock()
	b.notify(key)
	if pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		b.reportExit(key, pod, podEnd(pod))
	}
}

func (b *Backend) podDeleted(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	key, ok := keyOf(pod)
	if !ok {
		return
	}
	b.notify(key)
	b.reportExit(key, pod, spawner.Fail(spawner.Say("pod.deleted", "the pod was deleted"), nil))
	b.mu.Lock()
	delete(b.keys, pod.UID)
	delete(b.reported, pod.UID)
	b.mu.Unlock()
}

// reportExit tells the exit handler, once per pod, that it ended. The
// manager ignores pods of servers it is stopping or starting, so every
// replica may report every pod.
func (b *Backend) reportExit(key store.Key, pod *corev1.Pod, why error) {
	b.mu.Lock()
	h, done := b.onExit, b.reported[pod.UID]
	b.reported[pod.UID] = true
	b.mu.Unlock()
	if h == nil || done {
		return
	}
	h(key, string(pod.UID), why) // bounded: the manager's writes time out
}

// watch returns a channel that receives a signal when the server's pod
// changes; unwatch releases it.
func (b *Backend) watch(key store.Key) chan struct{} {
	w := make(chan struct{}, 1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.waiters[key] == nil {
		b.waiters[key] = map[chan struct{}]bool{}
	}
	b.waiters[key][w] = true
	return w
}

func (b *Backend) unwatch(key store.Key, w chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.waiters[key], w)
	if len(b.waiters[key]) == 0 {
		delete(b.waiters, key)
	}
}

// notify wakes the waiters of key without blocking.
func (b *Backend) notify(key store.Key) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for w := range b.waiters[key] {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// waitGone waits until the informer has no pod of key, or ctx ends.
func (b *Backend) waitGone(ctx context.Context, key store.Key, w <-chan struct{}) error {
	for {
		if _, err := b.podList.Pods(key.Namespace).Get(key.Name); err != nil {
			return nil
		}
		select {
		case <-w:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
