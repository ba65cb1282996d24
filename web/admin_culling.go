package web

import (
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/spawner"
)

// cullingSettings is the culling configuration and the next candidates as
// the console shows them.
type cullingSettings struct {
	Enabled, DryRun           bool
	Idle, MaxAge, Warn, Every string
	ByKind                    []kindTimeout
	Candidates                []cullCandidate
}

type kindTimeout struct{ Kind, Label, Idle string }

type cullCandidate struct{ Key, Kind, Action, At, Why string }

// maxCandidates is how many cull candidates the page lists.
const maxCandidates = 20

// cullingView reads the settings and asks the culler, without acting,
// what it would do now.
func (w *Web) cullingView(c echo.Context) (cullingSettings, error) {
	if w.opts.Culling == nil {
		return cullingSettings{}, nil
	}
	tr := w.translator(c)
	cfg := w.opts.Culling.Config()
	out := cullingSettings{
		Enabled: cfg.Enabled, DryRun: cfg.DryRun, Idle: durationText(tr, cfg.IdleTimeout),
		MaxAge: durationText(tr, cfg.MaxAge), Warn: durationText(tr, cfg.WarnBefore), Every: durationText(tr, cfg.Interval),
	}
	for kind, d := range cfg.ByKind {
		out.ByKind = append(out.ByKind, kindTimeout{kind, tr.T("admin.culling.idle_kind", map[string]any{"Kind": kind}), durationText(tr, d)})
	}
	slices.SortFunc(out.ByKind, func(a, b kindTimeout) int { return compareText(a.Kind, b.Kind) })
	ds, err := w.opts.Culling.Sweep(c.Request().Context(), true)
	if err != nil {
		return out, err
	}
	for _, d := range ds[:min(len(ds), maxCandidates)] {
		out.Candidates = append(out.Candidates, cullCandidate{
			Key: d.Key().String(), Kind: d.Kind, Action: tr.T("admin.cull_action." + d.Action),
			At: clock(d.CullAt), Why: cullWhy(tr, d.Reason, d.IdleFor, d.LastActivity, d.Source),
		})
	}
	return out, nil
}

func durationText(tr Translator, d time.Duration) string {
	if d <= 0 {
		return tr.T("admin.culling.none")
	}
	return spawner.HumanDuration(d)
}

func compareText(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
