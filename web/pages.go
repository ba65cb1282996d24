package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/store"
)

//go:embed templates/*.html templates/partials/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages holds the parsed templates, one set per page, each with the layout.
type pages struct {
	byName  map[string]*template.Template
	catalog *Catalog
	static  http.Handler
}

func loadPages(cat *Catalog) (*pages, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}, catalog: cat}
	for _, n := range names {
		base := n[len("templates/"):]
		if base == "layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(pageFuncs).ParseFS(templateFiles, "templates/layout.html", "templates/partials/*.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}
		p.byName[base] = t
	}
	sub, _ := fs.Sub(staticFiles, "static")
	p.static = http.StripPrefix("/static/", http.FileServerFS(sub))
	return p, nil
}

// pageCSP is the content security policy of every page: nothing from
// elsewhere, no inline script.
const pageCSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// pageFuncs are the functions templates call.
var pageFuncs = template.FuncMap{
	"actions": func(tr Translator, s serverView, canEdit bool) actionsData {
		return actionsData{Tr: tr, S: s, CanEdit: canEdit}
	},
	"named":      func(name string) map[string]any { return map[string]any{"Name": name} },
	"at":         func(tr Translator, t time.Time) map[string]any { return map[string]any{"When": tr.When(t)} },
	"deref":      func(t *time.Time) time.Time { return *t },
	"limits":     func(sp specView) map[string]any { return map[string]any{"CPU": sp.CPULimit, "Memory": sp.MemoryLimit} },
	"volumeName": volumeName,
	"barValue":   barValue,
}

// volumeName is the name of a volume of the form: new or existing.
func volumeName(n *form.NewVolumeForm, existing string) string {
	if n != nil {
		return n.Name
	}
	return existing
}

// barValue is how far along the progress bar a server is (of 100): its
// phase, and within Starting the events seen so far.
func barValue(p store.Phase, events int) int {
	switch p {
	case store.PhaseQueued:
		return 15
	case store.PhaseStarting:
		return min(40+5*events, 90)
	case store.PhaseRunning, store.PhaseFailed:
		return 100
	}
	return 0
}

// actionsData is what the "actions" template shows the actions of.
type actionsData struct {
	Tr      Translator
	S       serverView
	CanEdit bool
}

// pageData is what every template gets.
type pageData struct {
	Tr   Translator
	User auth.Identity
	Data map[string]any
}

func (w *Web) render(c echo.Context, status int, name string, data map[string]any) error {
	t, ok := w.pages.byName[name]
	if !ok {
		return fmt.Errorf("no page %s", name)
	}
	w.rememberLanguage(c)
	var buf bytes.Buffer
	if err := t.Execute(&buf, pageData{Tr: w.translator(c), User: identity(c), Data: data}); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	return c.HTMLBlob(status, buf.Bytes())
}

func (w *Web) static(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	w.pages.static.ServeHTTP(c.Response(), c.Request())
	return nil
}

// landingPage lists the servers of the chosen namespace (the user's own
// by default, ?ns= for a shared one) and a Launch button per image.
func (w *Web) landingPage(c echo.Context) error {
	id := identity(c)
	tr := w.translator(c)
	ctx := c.Request().Context()
	ns := c.QueryParam("ns")
	if ns == "" {
		ns = id.Namespace
	}
	role, err := w.opts.Policy.Role(ctx, id, ns)
	if err != nil {
		return err
	}
	if role == auth.RoleNone {
		return errNotFound
	}
	servers, err := w.servers.List(ctx, ns)
	if err != nil {
		return err
	}
	memberships, err := w.memberships(ctx, id)
	if err != nil {
		return err
	}
	views := w.views(ctx, tr, servers).Items
	return w.render(c, http.StatusOK, "index.html", map[string]any{
		"CullNotices": cullNotices(tr, views),            // culling: banner
		"Activity":    activityLines(tr, views, w.now()), // culling: "active 3 min ago — …"
		"Namespace":   ns,
		"Namespaces":  memberships,
		"CanEdit":     role >= auth.RoleEdit,
		"IsOwner":     role >= auth.RoleOwner,
		"Servers":     views,
		"Now":         w.now(),
		"Images":      w.imageViews(tr, w.servers.ImagesFor(requester(c, tr.Lang))),
		"Groups":      w.groupViews(tr, requester(c, tr.Lang)), // kinds: one launch tile per group
	})
}

// contributorsPage lets an owner share a namespace ("Partagez votre
// espace de travail").
func (w *Web) contributorsPage(c echo.Context) error {
	n, err := w.store.GetNamespace(c.Request().Context(), c.Param("ns"))
	if err != nil {
		return err
	}
	return w.render(c, http.StatusOK, "contributors.html", map[string]any{
		"Namespace": n.Name, "Owner": n.Owner, "Contributors": contributorViews(n),
	})
}

// rememberLanguage keeps a ?lang= choice in a cookie.
func (w *Web) rememberLanguage(c echo.Context) {
	if l := c.QueryParam("lang"); isLanguage(l) {
		c.SetCookie(&http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: w.opts.Secure, SameSite: http.SameSiteLaxMode})
	}
}

// notRunningPage answers a workspace URL whose server has no route: a page
// with a one-click Start for browsers (which returns to the same deep link
// once running), 503 JSON for every other client.
func (w *Web) notRunningPage(c echo.Context) error {
	ns, name := c.Param("ns"), c.Param("name")
	s, err := w.visibleServer(c, ns, name)
	if err != nil {
		return err
	}
	if !wantsHTML(c.Request()) {
		return w.notRunningJSON(c, s)
	}
	view := w.view(c.Request().Context(), w.translator(c), s)
	return w.render(c, http.StatusServiceUnavailable, "notrunning.html", map[string]any{
		"CullNotices": cullNotices(w.translator(c), []serverView{view}), // culling: why it stopped
		"Server":      view,
		"Next":        safeNext(c.Request().URL.RequestURI()),
	})
}

// notRunningOther answers non-GET workspace requests to a stopped server.
func (w *Web) notRunningOther(c echo.Context) error {
	s, err := w.visibleServer(c, c.Param("ns"), c.Param("name"))
	if err != nil {
		return err
	}
	return w.notRunningJSON(c, s)
}

func (w *Web) notRunningJSON(c echo.Context, s store.Server) error {
	tr := w.translator(c)
	c.Response().Header().Set("Retry-After", "5")
	return c.JSON(http.StatusServiceUnavailable, apiError{Error: tr.T("server.not_running"), Phase: string(s.Phase)})
}

// visibleServer returns the server if the caller has a role in its
// namespace, and a 404 otherwise.
func (w *Web) visibleServer(c echo.Context, ns, name string) (store.Server, error) {
	role, err := w.opts.Policy.Role(c.Request().Context(), identity(c), ns)
	if err != nil {
		return store.Server{}, err
	}
	if role == auth.RoleNone {
		return store.Server{}, errNotFound
	}
	return w.servers.Get(c.Request().Context(), ns, name)
}
