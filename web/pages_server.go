package web

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

// serverTabs are the tabs of the server page, the first the default.
var serverTabs = []string{"overview", "events", "logs"}

// serverPage shows one server: its overview, its events grouped by start,
// or its logs (?tab=), with Connect, Stop, Start and Delete.
func (w *Web) serverPage(c echo.Context) error {
	ctx := c.Request().Context()
	tr := w.translator(c)
	s, err := w.servers.Get(ctx, c.Param("ns"), c.Param("name"))
	if err != nil {
		return err
	}
	role, err := w.opts.Policy.Role(ctx, identity(c), s.Namespace)
	if err != nil {
		return err
	}
	tab := c.QueryParam("tab")
	if tab != "events" && tab != "logs" {
		tab = serverTabs[0]
	}
	view := w.view(ctx, tr, s)
	data := map[string]any{
		"Server": view, "Tab": tab, "Tabs": serverTabs,
		"CanEdit": role >= auth.RoleEdit, "Now": w.now(),
		"CullNotices": cullNotices(tr, []serverView{view}), // culling: warning or why it stopped
		"Activity":    activityLine(tr, view, w.now()),     // culling: "active 3 min ago — …"
	}
	switch tab {
	case "events":
		events, err := w.servers.Events(ctx, s.Namespace, s.Name)
		if err != nil {
			return err
		}
		data["Starts"] = groupByStart(eventViews(tr, events))
	case "logs":
		data["Logs"], data["LogsHidden"] = w.logsFor(ctx, role, s)
	}
	return w.render(c, http.StatusOK, "server.html", data)
}

// progressPage follows a server on its way up: a bar, the events as they
// happen, its place in the queue, why it failed, Cancel; the browser goes
// into the server once it runs.
func (w *Web) progressPage(c echo.Context) error {
	ctx := c.Request().Context()
	tr := w.translator(c)
	s, err := w.servers.Get(ctx, c.Param("ns"), c.Param("name"))
	if err != nil {
		return err
	}
	events, err := w.servers.Events(ctx, s.Namespace, s.Name)
	if err != nil {
		return err
	}
	return w.render(c, http.StatusOK, "progress.html", map[string]any{
		"Server": w.view(ctx, tr, s), "Events": lastStart(eventViews(tr, events)),
	})
}

// serverLogs answers the end of a server's output as text (editors and
// owners only: a log may show what a viewer should not see).
func (w *Web) serverLogs(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := w.servers.Get(ctx, c.Param("ns"), c.Param("name"))
	if err != nil {
		return err
	}
	logs, err := w.servers.Logs(ctx, s.Namespace, s.Name)
	if err != nil && !errors.Is(err, spawner.ErrNoLogs) {
		return err
	}
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", redactTokens(logs))
}

// logsFor is the server's log for the page, and whether the caller's role
// hides it.
func (w *Web) logsFor(ctx context.Context, role auth.Role, s store.Server) (string, bool) {
	if role < auth.RoleEdit {
		return "", true
	}
	logs, err := w.servers.Logs(ctx, s.Namespace, s.Name)
	if err != nil {
		if !errors.Is(err, spawner.ErrNoLogs) {
			w.log.WarnContext(ctx, "logs unreadable", "server", s.Key().String(), "err", err)
		}
		return "", false
	}
	return string(redactTokens(logs)), false
}

// tokenInLog is a token a server prints in its log (Jupyter prints its URL
// with ?token=).
var tokenInLog = regexp.MustCompile(`(?i)(token[=:]\s*)[A-Za-z0-9._~+/-]{8,}`)

func redactTokens(b []byte) []byte { return tokenInLog.ReplaceAll(b, []byte("${1}…")) }

// startGroup is the events of one start of a server.
type startGroup struct {
	At     time.Time
	Events []eventView
}

// startsHere tells the first event of a start: the creation, or a Queued
// that does not follow the creation or another Queued.
func startsHere(prev, e eventView) bool {
	return e.Reason == "Created" || e.Reason == "Queued" && prev.Reason != "Created" && prev.Reason != "Queued"
}

// groupByStart splits a server's events by start, the latest first.
func groupByStart(events []eventView) []startGroup {
	var groups []startGroup
	for i, e := range events {
		if i == 0 || startsHere(events[i-1], e) {
			groups = append(groups, startGroup{At: e.Time})
		}
		g := &groups[len(groups)-1]
		g.Events = append(g.Events, e)
	}
	for i, j := 0, len(groups)-1; i < j; i, j = i+1, j-1 {
		groups[i], groups[j] = groups[j], groups[i]
	}
	return groups
}

// lastStart is the events of the server's latest start.
func lastStart(events []eventView) []eventView {
	if g := groupByStart(events); len(g) > 0 {
		return g[0].Events
	}
	return nil
}
