package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/spawner"
)

// adminUsage is GET /api/v1/admin/usage?from=&to=: CPU-, memory- and
// GPU-hours per namespace and per image; CSV with format=csv or an Accept
// of text/csv.
func (w *Web) adminUsage(c echo.Context) error {
	if w.opts.Console == nil {
		return errNotFound
	}
	from, to, err := parsePeriod(c.QueryParams(), w.now())
	if err != nil {
		return err
	}
	u, err := w.opts.Console.Usage(c.Request().Context(), from, to)
	if err != nil {
		return err
	}
	if c.QueryParam("format") == "csv" || strings.Contains(c.Request().Header.Get("Accept"), "text/csv") {
		return writeUsageCSV(c, u)
	}
	return c.JSON(http.StatusOK, u)
}

// writeUsageCSV writes one line per namespace, per image and the total.
func writeUsageCSV(c echo.Context, u spawner.Usage) error {
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set("Content-Disposition", `attachment; filename="usage-`+u.From.Format("2006-01-02")+`.csv"`)
	res.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(res)
	_ = cw.Write([]string{"group", "name", "from", "to", "runs", "cpu_hours", "memory_gib_hours", "gpu_hours"})
	line := func(group string, r spawner.UsageRow) {
		_ = cw.Write([]string{group, r.Name, u.From.Format("2006-01-02T15:04:05Z07:00"), u.To.Format("2006-01-02T15:04:05Z07:00"),
			strconv.Itoa(r.Runs), hours(r.CPUHours), hours(r.MemoryGiBHours), hours(r.GPUHours)})
	}
	for _, r := range u.ByNamespace {
		line("namespace", r)
	}
	for _, r := range u.ByImage {
		line("image", r)
	}
	line("total", u.Total)
	cw.Flush()
	return cw.Error()
}

func hours(h float64) string { return strconv.FormatFloat(h, 'f', -1, 64) }
