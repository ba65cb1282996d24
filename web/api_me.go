package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/spawner"
)

// meView is the caller, as GET /api/v1/me shows them.
type meView struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Email     string   `json:"email,omitempty"`
	Groups    []string `json:"groups"`
	Namespace string   `json:"namespace"`
	Admin     bool     `json:"admin"`
	Language  string   `json:"language"`
}

func (w *Web) me(c echo.Context) error {
	id := identity(c)
	groups := id.Groups
	if groups == nil {
		groups = []string{}
	}
	return c.JSON(http.StatusOK, meView{
		ID: id.UserID, Name: id.Name, Email: id.Email, Groups: groups,
		Namespace: id.Namespace, Admin: id.Admin, Language: requestLanguage(c.Request()),
	})
}

// imageView is one image of the form, in the caller's language.
type imageView struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Allowed     bool   `json:"allowed"`
	Reason      string `json:"reason,omitempty"`
	Default     bool   `json:"default,omitempty"`
}

// configView is the form's options for the caller.
type configView struct {
	Images    []imageView `json:"images"`
	Languages []string    `json:"languages"`
}

func (w *Web) config(c echo.Context) error {
	tr := w.translator(c)
	return c.JSON(http.StatusOK, configView{
		Images:    w.imageViews(tr, w.servers.ImagesFor(requester(c, tr.Lang))),
		Languages: Languages,
	})
}

func (w *Web) imageViews(tr Translator, opts []spawner.ImageOption) []imageView {
	out := make([]imageView, 0, len(opts))
	for _, o := range opts {
		v := imageView{
			ID: o.Image.ID, Kind: o.Image.Kind, Allowed: o.Allowed, Default: o.Image.Default,
			Name: inLanguage(o.Image.Names, tr.Lang, o.Image.ID), Description: inLanguage(o.Image.Descriptions, tr.Lang, ""),
		}
		if !o.Allowed {
			v.Reason = tr.fieldMessage(&spawner.FieldError{Field: "image", Code: o.Reason})
		}
		out = append(out, v)
	}
	return out
}

// inLanguage picks the text in lang, else English, else fallback.
func inLanguage(texts map[string]string, lang, fallback string) string {
	if t, ok := texts[lang]; ok {
		return t
	}
	if t, ok := texts[Languages[0]]; ok {
		return t
	}
	return fallback
}

func (w *Web) adminServers(c echo.Context) error {
	ctx := c.Request().Context()
	servers, err := w.servers.List(ctx, "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w.views(ctx, servers))
}
