package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

// adminStopPreview is POST /admin/stop/preview: the selected rows, or
// every server matching the filter, as a dry run: exactly what will stop,
// with a confirmation that stops that list (not the filter again).
func (w *Web) adminStopPreview(c echo.Context) error {
	req, err := w.stopSelection(c)
	if err != nil {
		return err
	}
	req.DryRun = true
	res, err := w.opts.Console.StopServers(c.Request().Context(), req)
	if err != nil {
		return queryError(err)
	}
	return w.renderStops(c, res, true)
}

// adminStopConfirm is POST /admin/stop: stops the previewed list.
func (w *Web) adminStopConfirm(c echo.Context) error {
	if w.opts.Console == nil {
		return errNotFound
	}
	keys, err := formKeys(c)
	if err != nil {
		return err
	}
	res, err := w.opts.Console.StopServers(c.Request().Context(), spawner.StopRequest{Servers: keys})
	if err != nil {
		return err
	}
	w.log.InfoContext(c.Request().Context(), "bulk stop from the console", "by", identity(c).UserID, "servers", len(keys))
	return w.renderStops(c, res, false)
}

// stopSelection is what the console's form asks to stop: scope=filter
// takes the filter fields, otherwise the checked servers.
func (w *Web) stopSelection(c echo.Context) (spawner.StopRequest, error) {
	if w.opts.Console == nil {
		return spawner.StopRequest{}, errNotFound
	}
	form, err := c.FormParams()
	if err != nil {
		return spawner.StopRequest{}, badRequest("", "body.invalid_json", nil)
	}
	if form.Get("scope") == "filter" {
		q, err := parseServerQuery(form)
		if err != nil {
			return spawner.StopRequest{}, err
		}
		return spawner.StopRequest{Filter: &q.Filter}, nil
	}
	keys, err := formKeys(c)
	return spawner.StopRequest{Servers: keys}, err
}

// formKeys reads the "server" fields (namespace/name).
func formKeys(c echo.Context) ([]store.Key, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, badRequest("server", "admin.server", nil)
	}
	var keys []store.Key
	for _, s := range form["server"] {
		k, ok := store.ParseKey(s)
		if !ok {
			return nil, badRequest("server", "admin.server", nil)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, badRequest("server", "admin.none_selected", nil)
	}
	if len(keys) > spawner.MaxPage {
		return nil, badRequest("server", "admin.too_many", map[string]any{"Max": spawner.MaxPage})
	}
	return keys, nil
}

// stopRow is one server of a preview or a result.
type stopRow struct {
	Key, Phase, Result string
	Will, Failed       bool
}

func (w *Web) renderStops(c echo.Context, res []spawner.StopResult, preview bool) error {
	tr := w.translator(c)
	rows := make([]stopRow, 0, len(res))
	count := 0
	for _, r := range res {
		row := stopRow{Key: r.Key.String(), Phase: "—", Will: r.Stopped && preview}
		if r.Phase != "" {
			row.Phase = tr.T("admin.phase." + string(r.Phase))
		}
		switch {
		case r.Error != "":
			row.Result, row.Failed = tr.T("admin.result.error", map[string]any{"Error": r.Error}), true
		case preview && r.Stopped:
			row.Result = tr.T("admin.result.will_stop")
		case r.Stopped:
			row.Result = tr.T("admin.result.stopped")
		default:
			row.Result = tr.T("admin.result.already")
		}
		if r.Stopped {
			count++
		}
		rows = append(rows, row)
	}
	summary := tr.T("admin.result.summary", map[string]any{"Servers": count})
	if preview {
		summary = tr.T("admin.preview.summary", map[string]any{"Servers": count})
	}
	return w.render(c, http.StatusOK, "adminstop.html", map[string]any{
		"Preview": preview, "Rows": rows, "Count": count, "Back": backTo(c.FormValue("back")),
		"Summary": summary, "ConfirmText": tr.T("admin.preview.confirm", map[string]any{"Servers": count}),
	})
}

// backTo is the console URL a stop page links back to: the list as it was
// filtered; only /admin URLs are kept.
func backTo(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Path != "/admin" || u.Host != "" || u.Scheme != "" {
		return "/admin"
	}
	return "/admin?" + u.RawQuery
}
