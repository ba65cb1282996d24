// Package spawner owns the lifecycle of workspace servers: creating them
// (with their volumes, under the namespace's limits), the start queue, the
// start and the stop, and the reconciler that repairs drift after a crash.
// The form's rules are spawner/form's; the manager applies them. It keeps
// every server's state in store (so any replica can serve any request)
// and runs servers through a Backend (spawner/local for processes on this
// machine, spawner/kube for pods). It knows nothing about HTTP or sessions.
package spawner
