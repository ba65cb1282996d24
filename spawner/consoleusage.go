package spawner

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// UsageRow is what one namespace or image used over a period.
type UsageRow struct {
	Name           string  `json:"name"` // the namespace or the image
	Runs           int     `json:"runs"`
	CPUHours       float64 `json:"cpuHours"`       // cores requested × hours
	MemoryGiBHours float64 `json:"memoryGiBHours"` // GiB requested × hours
	GPUHours       float64 `json:"gpuHours"`
}

// Usage is the use of the cluster over [From, To), from the servers' runs.
type Usage struct {
	From        time.Time  `json:"from"`
	To          time.Time  `json:"to"`
	ByNamespace []UsageRow `json:"byNamespace"`
	ByImage     []UsageRow `json:"byImage"`
	Total       UsageRow   `json:"total"`
}

// Usage sums the runs overlapping [from, to); a server running now counts
// up to now (or to, if earlier).
func (c *Console) Usage(ctx context.Context, from, to time.Time) (Usage, error) {
	runs, err := c.st.Runs(ctx, from, to)
	if err != nil {
		return Usage{}, err
	}
	return usageOf(runs, from, to, c.now()), nil
}

func usageOf(runs []store.Run, from, to, now time.Time) Usage {
	byNS, byImage := map[string]*UsageRow{}, map[string]*UsageRow{}
	u := Usage{From: from, To: to, Total: UsageRow{Name: "total"}}
	for _, r := range runs {
		end := r.End
		if end.IsZero() {
			end = now
		}
		start, end := later(r.Start, from), earlier(end, to)
		if !end.After(start) {
			continue
		}
		h := end.Sub(start).Hours()
		for _, row := range []*UsageRow{rowOf(byNS, r.Namespace), rowOf(byImage, r.Image), &u.Total} {
			row.Runs++
			row.CPUHours += float64(r.CPUMilli) / 1000 * h
			row.MemoryGiBHours += float64(r.MemoryBytes) / (1 << 30) * h
			row.GPUHours += float64(r.GPUs) * h
		}
	}
	u.ByNamespace, u.ByImage = sortedRows(byNS), sortedRows(byImage)
	return u
}

func rowOf(rows map[string]*UsageRow, name string) *UsageRow {
	if rows[name] == nil {
		rows[name] = &UsageRow{Name: name}
	}
	return rows[name]
}

// sortedRows lists the rows by CPU-hours, largest first.
func sortedRows(rows map[string]*UsageRow) []UsageRow {
	out := make([]UsageRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b UsageRow) int {
		return cmp.Or(cmp.Compare(b.CPUHours, a.CPUHours), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
