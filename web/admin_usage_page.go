package web

import (
	"strconv"

	"github.com/spawnhub/spawnhub/spawner"
)

// usageRow is a line of the usage table, numbers rounded for people.
type usageRow struct{ Name, Runs, CPU, Memory, GPU string }

type usageTables struct {
	ByNamespace, ByImage []usageRow
	Total                usageRow
}

func usageView(u spawner.Usage) usageTables {
	conv := func(r spawner.UsageRow) usageRow {
		return usageRow{r.Name, strconv.Itoa(r.Runs), round(r.CPUHours), round(r.MemoryGiBHours), round(r.GPUHours)}
	}
	out := usageTables{Total: conv(u.Total)}
	for _, r := range u.ByNamespace {
		out.ByNamespace = append(out.ByNamespace, conv(r))
	}
	for _, r := range u.ByImage {
		out.ByImage = append(out.ByImage, conv(r))
	}
	return out
}

func round(h float64) string { return strconv.FormatFloat(h, 'f', 2, 64) }

// bar is one bar of the usage chart (an inline SVG drawn by the template:
// no script, no inline style, so the page's CSP holds).
type bar struct {
	Label, Value     string
	Y, Width, ValueX int
}

// chartWidth is the width of the longest bar, in SVG units.
const chartWidth = 400

// usageChart draws CPU-hours of the ten largest namespaces as bars.
func usageChart(rows []spawner.UsageRow) []bar {
	rows = rows[:min(10, len(rows))]
	var maxHours float64
	for _, r := range rows {
		maxHours = max(maxHours, r.CPUHours)
	}
	out := make([]bar, 0, len(rows))
	for i, r := range rows {
		w := 0
		if maxHours > 0 {
			w = int(r.CPUHours / maxHours * chartWidth)
		}
		out = append(out, bar{Label: r.Name, Value: round(r.CPUHours), Y: i * 24, Width: max(w, 1), ValueX: max(w, 1) + 166})
	}
	return out
}

// usageTable is one table of the usage section.
type usageTable struct {
	ID, Title string
	Rows      []usageRow
}

func usageTablesOf(tr Translator, u usageTables) []usageTable {
	return []usageTable{
		{"namespace", tr.T("admin.usage.by_namespace"), u.ByNamespace},
		{"image", tr.T("admin.usage.by_image"), u.ByImage},
	}
}
