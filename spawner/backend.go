package spawner

import (
	"context"

	"github.com/spawnhub/spawnhub/store"
)

// Backend runs servers: processes on this machine (spawner/local) or pods
// (spawner/kube).
type Backend interface {
	// Start launches srv and blocks until it answers, fails, or ctx ends.
	// It returns where the server listens and an instance id that the
	// manager stores in the record. progress receives events worth showing
	// to the user. On error Start leaves nothing running.
	Start(ctx context.Context, srv store.Server, token string, progress func(store.Event)) (route store.Route, instance string, err error)
	// Stop ends srv (srv.Instance may be empty after an interrupted start);
	// stopping what is not running is not an error.
	Stop(ctx context.Context, srv store.Server) error
	// Alive reports whether srv.Instance still runs.
	Alive(ctx context.Context, srv store.Server) (bool, error)
}

// ExitHandler is told that a running instance ended without being stopped;
// reason says why, with the last lines of its log when there is one.
type ExitHandler func(key store.Key, instance, reason string)

// ExitNotifier is a Backend that reports unexpected exits. NewManager
// installs its handler.
type ExitNotifier interface {
	SetExitHandler(h ExitHandler)
}

// VolumeDeleter is a Backend that keeps a server's volumes (its home folder,
// its PVCs) and can delete them; Manager.Delete calls it when asked to.
type VolumeDeleter interface {
	DeleteVolumes(ctx context.Context, srv store.Server) error
}

// BaseURL is the path under which a server is served: /notebook/<ns>/<name>/.
func BaseURL(ns, name string) string {
	return "/notebook/" + ns + "/" + name + "/"
}
