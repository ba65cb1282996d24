package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/spawner/form"
)

func (w *Web) listServers(c echo.Context) error {
	ctx := c.Request().Context()
	servers, err := w.servers.List(ctx, c.Param("ns"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w.views(ctx, w.translator(c), servers))
}

func (w *Web) getServer(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := w.servers.Get(ctx, c.Param("ns"), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w.view(ctx, w.translator(c), s))
}

func (w *Web) createServer(c echo.Context) error {
	if err := w.existingNamespace(c); err != nil {
		return err
	}
	var f form.Form
	if err := decodeStrict(c, &f); err != nil {
		return err
	}
	lang := f.Language
	if lang == "" {
		lang = requestLanguage(c.Request())
	}
	ctx := c.Request().Context()
	s, err := w.servers.Create(ctx, c.Param("ns"), requester(c, lang), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, w.view(ctx, w.translator(c), s))
}

// launchRequest is the one-click launch body.
type launchRequest struct {
	Image string `json:"image"`
	// New asks for a new server even when a stopped one of the image
	// exists (which Launch otherwise starts again, with its volumes).
	New bool `json:"new,omitempty"`
}

func (w *Web) launch(c echo.Context) error {
	if err := w.existingNamespace(c); err != nil {
		return err
	}
	var req launchRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	if req.Image == "" {
		return badRequest("image", "image.required", nil)
	}
	ctx := c.Request().Context()
	launch := w.servers.Launch
	if req.New {
		launch = w.servers.LaunchNew
	}
	s, err := launch(ctx, c.Param("ns"), requester(c, requestLanguage(c.Request())), req.Image)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, w.view(ctx, w.translator(c), s))
}

func (w *Web) startServer(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := w.servers.Start(ctx, c.Param("ns"), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, w.view(ctx, w.translator(c), s))
}

func (w *Web) stopServer(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := w.servers.Stop(ctx, c.Param("ns"), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, w.view(ctx, w.translator(c), s))
}

func (w *Web) deleteServer(c echo.Context) error {
	deleteVolumes := c.QueryParam("volumes") == "true"
	if err := w.servers.Delete(c.Request().Context(), c.Param("ns"), c.Param("name"), deleteVolumes); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (w *Web) serverEvents(c echo.Context) error {
	events, err := w.servers.Events(c.Request().Context(), c.Param("ns"), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[eventView]{Items: eventViews(w.translator(c), events)})
}
