package web

import "github.com/spawnhub/spawnhub/spawner/form"

// groupView is one choice of the catalogue's first level, in the caller's
// language: a group ("JupyterLab") and its variants ("CPU", "PyTorch"),
// for the form's two selects and the launch tiles.
type groupView struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Allowed     bool        `json:"allowed"`
	Reason      string      `json:"reason,omitempty"` // why not, when no variant is allowed
	Variants    []imageView `json:"variants"`
	// Default is the variant a tile launches unless another is picked: the
	// catalogue's default, else the first allowed.
	Default string `json:"default,omitempty"`
}

func (w *Web) groupViews(tr Translator, who form.Requester) []groupView {
	choices := w.servers.Config().ChoicesFor(who)
	out := make([]groupView, 0, len(choices))
	for _, ch := range choices {
		g := groupView{
			ID: ch.ID, Name: inLanguage(ch.Names, tr.Lang, ch.ID), Description: inLanguage(ch.Descriptions, tr.Lang, ""),
			Allowed: ch.Allowed(), Variants: w.imageViews(tr, ch.Variants),
		}
		for _, v := range g.Variants {
			if v.Allowed && (g.Default == "" || v.Default) {
				g.Default = v.ID
			}
		}
		if !g.Allowed && len(g.Variants) > 0 {
			g.Reason = g.Variants[0].Reason
		}
		out = append(out, g)
	}
	return out
}
