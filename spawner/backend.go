package spawner

import (
	"context"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

// Backend runs servers: processes on this machine (spawner/local) or pods
// (spawner/kube).
type Backend interface {
	// Start launches srv, running im, and blocks until it answers, fails,
	// or ctx ends. im is the spec's image as the manager resolved it
	// (form.Config.ImageOf). It returns where the server listens and an
	// instance id that the manager stores in the record. progress receives
	// events worth showing to the user. On error Start leaves nothing
	// running.
	Start(ctx context.Context, srv store.Server, im form.Image, token string, progress func(store.Event)) (route store.Route, instance string, err error)
	// Stop ends srv (srv.Instance may be empty after an interrupted start);
	// stopping what is not running is not an error.
	Stop(ctx context.Context, srv store.Server) error
	// Alive reports whether srv.Instance still runs.
	Alive(ctx context.Context, srv store.Server) (bool, error)
}

// ExitHandler is told that a running instance ended without being stopped.
// A nil why is a clean end the server's own user asked for (Jupyter's
// Quit: exit status 0), and the server is Stopped; otherwise why says what
// went wrong (a *Failure when the backend can say it in words) and the
// server is Failed.
type ExitHandler func(key store.Key, instance string, why error)

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

// VolumeStore keeps the persistent volumes of namespaces: folders for the
// local backend, PersistentVolumeClaims for Kubernetes. The manager works
// out which server mounts a volume from the server records.
type VolumeStore interface {
	// ListVolumes returns the namespace's volumes sorted by name.
	ListVolumes(ctx context.Context, ns string) ([]Volume, error)
	// CreateVolume creates an empty volume; store.ErrConflict if the name
	// is taken.
	CreateVolume(ctx context.Context, ns string, v Volume) (Volume, error)
	// DeleteVolume removes a volume and its data; store.ErrNotFound if
	// there is none. The manager refuses to delete a mounted volume first.
	DeleteVolume(ctx context.Context, ns, name string) error
}

// Volume is a persistent volume of a namespace.
type Volume struct {
	Name      string    `json:"name"`
	Size      string    `json:"size"` // a quantity, e.g. "16Gi"
	CreatedAt time.Time `json:"createdAt"`
}
