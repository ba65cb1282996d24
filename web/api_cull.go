package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/spawner"
)

// Culling is the idle culler as the web layer uses it (spawner.Culler with
// its manager).
type Culling interface {
	Sweep(ctx context.Context, dryRun bool) ([]spawner.CullDecision, error)
	KeepRunning(ctx context.Context, ns, name string) error
	Config() spawner.CullConfig
}

// cullRequest is the body of POST /api/v1/admin/cull.
type cullRequest struct {
	DryRun bool `json:"dryRun"`
}

// cullItem is one decision of a sweep, with the reason in words.
type cullItem struct {
	spawner.CullDecision
	Why string `json:"why"`
}

// adminCull sweeps now: with dryRun it only lists what would be warned or
// culled, and why.
func (w *Web) adminCull(c echo.Context) error {
	if w.opts.Culling == nil {
		return errNotFound
	}
	var req cullRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	ds, err := w.opts.Culling.Sweep(c.Request().Context(), req.DryRun)
	if err != nil {
		return err
	}
	tr := w.translator(c)
	out := list[cullItem]{Items: make([]cullItem, 0, len(ds))}
	for _, d := range ds {
		out.Items = append(out.Items, cullItem{CullDecision: d, Why: cullWhy(tr, d.Reason, d.IdleFor, d.LastActivity, d.Source)})
	}
	return c.JSON(http.StatusOK, out)
}

// keepRunning is the banner's "keep it running": activity now, which
// cancels the culler's warning.
func (w *Web) keepRunning(c echo.Context) error {
	if w.opts.Culling == nil {
		return errNotFound
	}
	ctx := c.Request().Context()
	if err := w.opts.Culling.KeepRunning(ctx, c.Param("ns"), c.Param("name")); err != nil {
		return err
	}
	s, err := w.servers.Get(ctx, c.Param("ns"), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w.view(ctx, w.translator(c), s))
}

func (w *Web) now() time.Time {
	if w.opts.Now != nil {
		return w.opts.Now()
	}
	return time.Now()
}
