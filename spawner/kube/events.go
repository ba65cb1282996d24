package kube

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/spawnhub/spawnhub/store"
)

// eventWriteTimeout bounds one copy into the store.
const eventWriteTimeout = 10 * time.Second

// watchEvents installs the handlers of the event informer: each new
// Kubernetes event of a managed pod, or of a claim such a pod mounts, is
// copied into the server's events (a repeated event once per repetition).
func (b *Backend) watchEvents() error {
	_, err := b.events.Core().V1().Events().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { b.copyEvent(obj) },
		UpdateFunc: func(_, obj any) { b.copyEvent(obj) },
		DeleteFunc: b.forgetEvent,
	})
	return err
}

func (b *Backend) copyEvent(obj any) {
	ev, ok := obj.(*corev1.Event)
	if !ok {
		return
	}
	key, ok := b.eventKey(ev)
	if !ok {
		return
	}
	count := max(ev.Count, 1)
	t := eventTime(ev)
	b.mu.Lock()
	fresh := b.seen[ev.UID] < count
	b.seen[ev.UID] = max(b.seen[ev.UID], count)
	copying, since := b.copying, b.since
	b.mu.Unlock()
	if !fresh || !copying || t.Before(since) {
		return
	}
	msg := ev.Message
	if count > 1 {
		msg = fmt.Sprintf("%s (%d times)", msg, count)
	}
	if ev.InvolvedObject.Kind == "PersistentVolumeClaim" {
		msg = "volume " + ev.InvolvedObject.Name + ": " + msg
	}
	ctx, cancel := context.WithTimeout(context.Background(), eventWriteTimeout)
	defer cancel()
	e := store.Event{Time: t, Type: ev.Type, Reason: ev.Reason, Message: msg}
	if err := b.o.Events.AppendEvent(ctx, key, e); err != nil {
		b.log.Warn("kubernetes event not copied", "server", key.String(), "reason", ev.Reason, "err", err)
	}
}

func (b *Backend) forgetEvent(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if ev, ok := obj.(*corev1.Event); ok {
		b.mu.Lock()
		delete(b.seen, ev.UID)
		b.mu.Unlock()
	}
}

// eventKey finds the server an event is about: a managed pod, or a claim
// that a managed pod mounts.
func (b *Backend) eventKey(ev *corev1.Event) (store.Key, bool) {
	obj := ev.InvolvedObject
	switch obj.Kind {
	case "Pod":
		return b.podKey(obj.Namespace, obj.Name, obj.UID)
	case "PersistentVolumeClaim":
		return b.claimKey(obj.Namespace, obj.Name)
	}
	return store.Key{}, false
}

func (b *Backend) podKey(ns, name string, uid types.UID) (store.Key, bool) {
	b.mu.Lock()
	key, ok := b.keys[uid]
	b.mu.Unlock()
	if ok {
		return key, true
	}
	pod, err := b.podList.Pods(ns).Get(name)
	if err != nil || (uid != "" && pod.UID != uid) {
		return store.Key{}, false
	}
	return keyOf(pod)
}

func (b *Backend) claimKey(ns, claim string) (store.Key, bool) {
	pods, err := b.podList.Pods(ns).List(everything)
	if err != nil {
		return store.Key{}, false
	}
	for _, pod := range pods {
		if mountsClaim(pod, claim) {
			return keyOf(pod)
		}
	}
	return store.Key{}, false
}

func mountsClaim(pod *corev1.Pod, claim string) bool {
	for _, v := range pod.Spec.Volumes {
		if pvc := v.PersistentVolumeClaim; pvc != nil && pvc.ClaimName == claim {
			return true
		}
	}
	return false
}

// eventTime is when the event last happened.
func eventTime(ev *corev1.Event) time.Time {
	switch {
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case ev.Series != nil && !ev.Series.LastObservedTime.IsZero():
		return ev.Series.LastObservedTime.Time
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	}
	return ev.CreationTimestamp.Time
}
