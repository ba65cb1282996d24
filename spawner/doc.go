// Package spawner owns the lifecycle of workspace servers: the image
// catalogue and resource limits, the server-side validation of the spawn form,
// the start queue, and the reconciler that repairs drift after a crash. It
// keeps every server's state in store (so any replica can serve any request)
// and runs servers through a Backend (spawner/local for processes on this
// machine, spawner/kube for pods). It knows nothing about HTTP or sessions.
package spawner
