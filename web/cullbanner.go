package web

import (
	"time"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

// cullNotice is one line of the culling banner (templates/partials/cullbanner.html):
// a warning with its "keep it running" button, or why a server was stopped.
type cullNotice struct {
	Namespace, Name string
	Text            string
	Warning         bool // pending: the button is shown
}

// cullNotices are the banner's lines for servers (as the API shows them).
func cullNotices(tr Translator, servers []serverView) []cullNotice {
	var out []cullNotice
	for _, s := range servers {
		if n, ok := cullNoticeOf(tr, s); ok {
			out = append(out, n)
		}
	}
	return out
}

func cullNoticeOf(tr Translator, s serverView) (cullNotice, bool) {
	c := s.Cull
	if c == nil {
		return cullNotice{}, false
	}
	n := cullNotice{Namespace: s.Namespace, Name: s.Name, Warning: !c.Done}
	idle := c.At.Sub(c.LastActivity) // when culled
	if !c.Done {
		idle = c.WarnedAt.Sub(c.LastActivity) // when warned
	}
	why := cullWhy(tr, c.Reason, idle, c.LastActivity, c.Source)
	key := "cull.warning"
	if c.Done {
		key = "cull.culled"
	}
	n.Text = tr.T(key, map[string]any{"Server": s.Name, "At": clock(c.At), "Why": why})
	return n, true
}

// cullWhy is the reason in words: "idle for 2 h 10 min; last activity:
// mouse on the desktop at 14:02 UTC".
func cullWhy(tr Translator, reason string, idle time.Duration, last time.Time, source string) string {
	if reason == store.CullMaxAge {
		return tr.T("cull.reason.max_age")
	}
	params := map[string]any{"Idle": spawner.HumanDuration(idle)}
	if last.IsZero() {
		return tr.T("cull.reason.idle", params)
	}
	params["Time"] = clock(last)
	params["Source"] = activitySourceText(tr, source)
	return tr.T("cull.reason.idle_since", params)
}

// activitySourceText is a source in words ("typing in a kernel",
// "typing in kernel python3").
func activitySourceText(tr Translator, source string) string {
	kind, kernel := store.SplitSource(source)
	switch {
	case kind == "":
		kind = "unknown"
	case kind == store.SourceKernel && kernel != "":
		return tr.T("activity.source.kernel_named", map[string]any{"Kernel": kernel})
	}
	return tr.T("activity.source." + kind)
}

// activityLine is the landing page's "active 3 min ago — typing in a
// kernel" of a running server; "" when nothing is known.
func activityLine(tr Translator, s serverView, now time.Time) string {
	if s.LastActivity == nil {
		return ""
	}
	return tr.T("activity.line", map[string]any{
		"Ago": spawner.HumanDuration(now.Sub(*s.LastActivity)), "Source": activitySourceText(tr, s.LastActivitySource),
	})
}

// activityLines are the activity lines of servers, by name.
func activityLines(tr Translator, servers []serverView, now time.Time) map[string]string {
	out := map[string]string{}
	for _, s := range servers {
		if l := activityLine(tr, s, now); l != "" {
			out[s.Name] = l
		}
	}
	return out
}

func clock(t time.Time) string { return t.UTC().Format("15:04 UTC") }
