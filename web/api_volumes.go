package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/spawner"
)

func (w *Web) listVolumes(c echo.Context) error {
	vols, err := w.servers.Volumes(c.Request().Context(), c.Param("ns"))
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
	if err := w.existingNamespace(c); err != nil {
		return err
	}
	var req volumeRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	v, err := w.servers.CreateVolume(c.Request().Context(), c.Param("ns"), req.Name, req.Size)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

func (w *Web) deleteVolume(c echo.Context) error {
	if err := w.servers.DeleteVolume(c.Request().Context(), c.Param("ns"), c.Param("volume")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
