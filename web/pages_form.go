package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/auth"
)

// newServerPage is the spawn form ("+ Nouveau serveur"). It is filled in
// the browser from GET /api/v1/config and posts JSON to the API, which
// enforces every rule; errors are shown next to their field.
func (w *Web) newServerPage(c echo.Context) error {
	w.rememberLanguage(c)
	return w.render(c, http.StatusOK, "new.html", map[string]any{"Namespace": c.Param("ns")})
}

// volumesPage lists the namespace's volumes, with size and the server that
// mounts each, and lets editors create and delete them.
func (w *Web) volumesPage(c echo.Context) error {
	w.rememberLanguage(c)
	role, _ := c.Get(ctxRole).(auth.Role)
	return w.render(c, http.StatusOK, "volumes.html", map[string]any{"Namespace": c.Param("ns"), "CanEdit": role >= auth.RoleEdit})
}
