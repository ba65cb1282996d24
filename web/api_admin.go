package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

// Console is the administrators' console (spawner.Console).
type Console interface {
	Servers(ctx context.Context, q spawner.ServerQuery) (spawner.ServerPage, error)
	StopServers(ctx context.Context, req spawner.StopRequest) ([]spawner.StopResult, error)
	Usage(ctx context.Context, from, to time.Time) (spawner.Usage, error)
}

// adminServers is GET /api/v1/admin/servers: one page of every server,
// filtered and sorted, with the totals of the filter.
func (w *Web) adminServers(c echo.Context) error {
	if w.opts.Console == nil {
		return errNotFound
	}
	q, err := parseServerQuery(c.QueryParams())
	if err != nil {
		return err
	}
	page, err := w.opts.Console.Servers(c.Request().Context(), q)
	if err != nil {
		return queryError(err)
	}
	return c.JSON(http.StatusOK, page)
}

// stopRequest is the body of POST /api/v1/admin/stop: a filter or a list.
type stopRequest struct {
	Filter  *filterBody `json:"filter"`
	Servers []store.Key `json:"servers"`
	DryRun  bool        `json:"dryRun"`
}

// filterBody is a ServerFilter as JSON, checked field by field.
type filterBody struct {
	Namespace string `json:"namespace"`
	Owner     string `json:"owner"`
	Image     string `json:"image"`
	Kind      string `json:"kind"`
	Phase     string `json:"phase"`
	GPU       *bool  `json:"gpu"`
	IdleFor   string `json:"idleFor"`
}

// stopAnswer is the result of a bulk stop, one item per server.
type stopAnswer struct {
	DryRun bool                  `json:"dryRun"`
	Count  int                   `json:"count"` // servers stopped (or that would be)
	Items  []spawner.StopResult  `json:"items"`
	Filter *spawner.ServerFilter `json:"filter,omitempty"`
}

// adminStop is POST /api/v1/admin/stop.
func (w *Web) adminStop(c echo.Context) error {
	if w.opts.Console == nil {
		return errNotFound
	}
	var body stopRequest
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	req, err := body.request()
	if err != nil {
		return err
	}
	res, err := w.opts.Console.StopServers(c.Request().Context(), req)
	if err != nil {
		return queryError(err)
	}
	out := stopAnswer{DryRun: req.DryRun, Items: res, Filter: req.Filter}
	for _, r := range res {
		if r.Stopped {
			out.Count++
		}
	}
	if !req.DryRun {
		w.log.InfoContext(c.Request().Context(), "bulk stop", "by", identity(c).UserID, "servers", out.Count)
	}
	return c.JSON(http.StatusOK, out)
}

func (b stopRequest) request() (spawner.StopRequest, error) {
	switch {
	case (b.Filter == nil) == (len(b.Servers) == 0):
		return spawner.StopRequest{}, badRequest("filter", "admin.stop_what", nil)
	case len(b.Servers) > spawner.MaxPage:
		return spawner.StopRequest{}, badRequest("servers", "admin.too_many", map[string]any{"Max": spawner.MaxPage})
	}
	for i, k := range b.Servers {
		if k.Namespace == "" || k.Name == "" {
			return spawner.StopRequest{}, badRequest(fieldIndex("servers", i), "admin.server", nil)
		}
	}
	req := spawner.StopRequest{Servers: b.Servers, DryRun: b.DryRun}
	if b.Filter != nil {
		f, err := b.Filter.filter("filter.")
		if err != nil {
			return req, err
		}
		req.Filter = &f
	}
	return req, nil
}
