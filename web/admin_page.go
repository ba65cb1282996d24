package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

// filterKeys are the console's filter parameters, kept in the URL.
var filterKeys = []string{"namespace", "owner", "image", "kind", "phase", "gpu", "idleFor"}

// adminPage is GET /admin: every server filtered, sorted and paged on the
// server (all in the URL), totals, usage over a period, the culling
// settings and the next cull candidates.
func (w *Web) adminPage(c echo.Context) error {
	if w.opts.Console == nil {
		return errNotFound
	}
	w.rememberLanguage(c)
	ctx := c.Request().Context()
	tr := w.translator(c)
	v := c.QueryParams()
	q, err := parseServerQuery(v)
	if err != nil {
		return err
	}
	page, err := w.opts.Console.Servers(ctx, q)
	if err != nil {
		return queryError(err)
	}
	from, to, err := parsePeriod(v, w.now())
	if err != nil {
		return err
	}
	usage, err := w.opts.Console.Usage(ctx, from, to)
	if err != nil {
		return err
	}
	culling, err := w.cullingView(c)
	if err != nil {
		return err
	}
	filter := filterValues(v)
	n := page.Totals.Servers
	tv := totalsView(page.Totals)
	return w.render(c, http.StatusOK, "admin.html", map[string]any{
		"Filter": filter, "FilterHidden": hiddenFields(filter), "Sort": q.Sort,
		"Self":             "/admin?" + v.Encode(),
		"IdleOptions":      idleOptions(filter["idleFor"]),
		"TotalsText":       tr.T("admin.totals", map[string]any{"Servers": tv.Servers, "CPU": tv.CPU, "Memory": tv.Memory, "GPUs": tv.GPUs}),
		"StopMatchingText": tr.T("admin.stop_matching", map[string]any{"Servers": n}),
		"ChartHeight":      24 * min(10, len(usage.ByNamespace)),
		"UsageTables":      usageTablesOf(tr, usageView(usage)),
		"Phases":           []store.Phase{store.PhaseRunning, store.PhaseStarting, store.PhaseQueued, store.PhaseStopping, store.PhaseStopped, store.PhaseFailed},
		"Columns":          w.sortColumns(tr, v, q.Sort),
		"Rows":             adminRows(tr, page.Items), "Totals": tv,
		"Next": nextLink(v, page.Next), "First": q.Cursor != "",
		"FirstURL": "/admin?" + without(v, "cursor").Encode(),
		"Usage":    usageView(usage), "Chart": usageChart(usage.ByNamespace),
		"CSV":  "/api/v1/admin/usage?" + url.Values{"format": {"csv"}, "from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}.Encode(),
		"From": from.Format(time.DateOnly), "To": to.Format(time.DateOnly),
		"Culling": culling,
	})
}

// filterValues are the filter's parameters as given (for the form).
func filterValues(v url.Values) map[string]string {
	out := map[string]string{}
	for _, k := range filterKeys {
		out[k] = v.Get(k)
	}
	return out
}

type hidden struct{ Name, Value string }

func hiddenFields(f map[string]string) []hidden {
	var out []hidden
	for _, k := range filterKeys {
		if f[k] != "" {
			out = append(out, hidden{k, f[k]})
		}
	}
	return out
}

func without(v url.Values, keys ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = vs
	}
	for _, k := range keys {
		out.Del(k)
	}
	return out
}

func nextLink(v url.Values, next string) string {
	if next == "" {
		return ""
	}
	n := without(v)
	n.Set("cursor", next)
	return "/admin?" + n.Encode()
}

// column is a header of the table; sortable ones link to their sort.
type column struct {
	Label, URL, Mark string
}

func (w *Web) sortColumns(tr Translator, v url.Values, current string) []column {
	sortable := map[string]string{"admin.col.name": spawner.SortName, "admin.col.started": spawner.SortStarted, "admin.col.idle": spawner.SortIdle}
	var out []column
	for _, id := range []string{"admin.col.namespace", "admin.col.name", "admin.col.owner", "admin.col.image", "admin.col.kind",
		"admin.col.phase", "admin.col.cpu", "admin.col.memory", "admin.col.gpu", "admin.col.started", "admin.col.activity",
		"admin.col.idle", "admin.col.cull_at"} {
		col := column{Label: tr.T(id)}
		if s, ok := sortable[id]; ok {
			next := s
			if strings.TrimPrefix(current, "-") == s || (current == "" && s == spawner.SortName) {
				col.Mark = "▲"
				if strings.HasPrefix(current, "-") {
					col.Mark = "▼"
				} else {
					next = "-" + s
				}
			}
			n := without(v, "cursor")
			n.Set("sort", next)
			col.URL = "/admin?" + n.Encode()
		}
		out = append(out, col)
	}
	return out
}

// adminRow is one server as the page shows it.
type adminRow struct {
	Key, SelectLabel                           string
	Namespace, Name, Owner, Image, Kind, Phase string
	CPU, Memory, GPUs, Started, Activity, Idle string
	CullAt                                     string
	Running                                    bool
}

func adminRows(tr Translator, items []spawner.AdminServer) []adminRow {
	out := make([]adminRow, 0, len(items))
	for _, s := range items {
		r := adminRow{
			Key: s.Key.String(), SelectLabel: tr.T("admin.select_one", map[string]any{"Server": s.Key.String()}), Namespace: s.Namespace, Name: s.Name, Owner: s.Owner, Image: s.Image, Kind: s.Kind,
			Phase: tr.T("admin.phase." + string(s.Phase)), CPU: cpuText(s.CPUMilli), Memory: memoryText(s.MemoryBytes),
			GPUs: strconv.Itoa(s.GPUs), Started: "—", Activity: "—", Idle: "—", CullAt: "—",
			Running: s.Phase == store.PhaseRunning,
		}
		if !s.StartedAt.IsZero() {
			r.Started = s.StartedAt.UTC().Format("2006-01-02 15:04")
		}
		if !s.LastActivity.IsZero() {
			r.Activity = s.LastActivity.UTC().Format("15:04") + " · " + activitySourceText(tr, s.Source)
		}
		if s.IdleFor > 0 {
			r.Idle = spawner.HumanDuration(time.Duration(s.IdleFor))
		}
		if !s.CullAt.IsZero() {
			r.CullAt = clock(s.CullAt)
		}
		out = append(out, r)
	}
	return out
}

func cpuText(milli int64) string { return strconv.FormatFloat(float64(milli)/1000, 'f', -1, 64) }

func memoryText(b int64) string {
	return strconv.FormatFloat(float64(b)/(1<<30), 'f', -1, 64) + " Gi"
}

type totals struct{ Servers, CPU, Memory, GPUs string }

func totalsView(t spawner.Totals) totals {
	return totals{strconv.FormatInt(t.Servers, 10), cpuText(t.CPUMilli), memoryText(t.MemoryBytes), strconv.FormatInt(t.GPUs, 10)}
}

type option struct {
	Value, Label string
	Selected     bool
}

// idleOptions are the choices of "idle for more than"; a value given in
// the URL that is not among them is kept as a choice.
func idleOptions(current string) []option {
	var out []option
	found := current == ""
	for _, d := range []string{"30m", "1h", "2h", "8h", "24h", "168h"} {
		out = append(out, option{d, spawner.HumanDuration(mustDuration(d)), d == current})
		found = found || d == current
	}
	if !found {
		out = append(out, option{current, current, true})
	}
	return out
}

func mustDuration(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}
