package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/spawner"
)

// VolumeManager keeps the volumes of namespaces (spawner.Manager). The
// caller has already been authorized for the namespace.
type VolumeManager interface {
	Volumes(ctx context.Context, ns string) ([]spawner.VolumeInfo, error)
	CreateVolume(ctx context.Context, ns, name, size string) (spawner.VolumeInfo, error)
	DeleteVolume(ctx context.Context, ns, name string) error
}

// volumeManager returns the Servers as a VolumeManager; without one there
// are no volumes to show (404).
func (w *Web) volumeManager() (VolumeManager, error) {
	vm, ok := w.servers.(VolumeManager)
	if !ok {
		return nil, errNotFound
	}
	return vm, nil
}

func (w *Web) listVolumes(c echo.Context) error {
	vm, err := w.volumeManager()
	if err != nil {
		return err
	}
	vols, err := vm.Volumes(c.Request().Context(), c.Param("ns"))
	if err != nil {
		return err
	}
	if vols == nil {
		vols = []spawner.VolumeInfo{}
	}
	return c.JSON(http.StatusOK, list[spawner.VolumeInfo]{Items: vols})
}

// volumeRequest is the body of POST …/volumes.
type volumeRequest struct {
	Name string `json:"name"`
	Size string `json:"size,omitempty"`
}

func (w *Web) createVolume(c echo.Context) error {
	vm, err := w.volumeManager()
	if err != nil {
		return err
	}
	var req volumeRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	v, err := vm.CreateVolume(c.Request().Context(), c.Param("ns"), req.Name, req.Size)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

func (w *Web) deleteVolume(c echo.Context) error {
	vm, err := w.volumeManager()
	if err != nil {
		return err
	}
	if err := vm.DeleteVolume(c.Request().Context(), c.Param("ns"), c.Param("volume")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
