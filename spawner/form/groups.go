package form

import (
	"fmt"
	"slices"
	"strings"
)

// ImageGroup is one choice of the catalogue's first level: "JupyterLab",
// whose images (its variants) are CPU, PyTorch and TensorFlow.
type ImageGroup struct {
	ID           string            `yaml:"id" json:"id"`
	Names        map[string]string `yaml:"names" json:"names"`               // by language: "en", "fr"
	Descriptions map[string]string `yaml:"descriptions" json:"descriptions"` // by language
}

// Name returns the group's name in lang, falling back to English, then the ID.
func (g ImageGroup) Name(lang string) string {
	if n := g.Names[lang]; n != "" {
		return n
	}
	if n := g.Names["en"]; n != "" {
		return n
	}
	return g.ID
}

// ImageChoice is one group as offered to a user, with its variants in
// catalogue order.
type ImageChoice struct {
	ImageGroup
	Variants []ImageOption `json:"variants"`
}

// Allowed reports whether who may use at least one of the variants.
func (ch ImageChoice) Allowed() bool {
	return slices.ContainsFunc(ch.Variants, func(o ImageOption) bool { return o.Allowed })
}

// ChoicesFor returns the catalogue as offered to who, grouped: one choice
// per group in the order its first image appears, an image without a
// group being a choice of its own (named as the image).
func (c Config) ChoicesFor(who Requester) []ImageChoice {
	var out []ImageChoice
	index := map[string]int{}
	for _, opt := range c.ImagesFor(who) {
		id := opt.Group
		if id == "" {
			id = opt.ID
		}
		i, ok := index[id]
		if !ok {
			i = len(out)
			index[id] = i
			out = append(out, ImageChoice{ImageGroup: c.groupOf(opt.Image)})
		}
		out[i].Variants = append(out[i].Variants, opt)
	}
	return out
}

// groupOf is im's group, or a group made of im itself.
func (c Config) groupOf(im Image) ImageGroup {
	if g, ok := c.Group(im.Group); ok {
		return g
	}
	return ImageGroup{ID: im.ID, Names: im.Names, Descriptions: im.Descriptions}
}

// Group returns the group with that id.
func (c Config) Group(id string) (ImageGroup, bool) {
	i := slices.IndexFunc(c.Groups, func(g ImageGroup) bool { return g.ID == id })
	if id == "" || i < 0 {
		return ImageGroup{}, false
	}
	return c.Groups[i], true
}

// validateGroups checks the groups and that every image's group exists.
func (c Config) validateGroups() error {
	var bad []string
	seen := map[string]bool{}
	for i, g := range c.Groups {
		if !validName(g.ID) {
			bad = append(bad, fmt.Sprintf("groups[%d].id: %q is not a lowercase name", i, g.ID))
		}
		if seen[g.ID] {
			bad = append(bad, fmt.Sprintf("groups[%d].id: duplicate %q", i, g.ID))
		}
		seen[g.ID] = true
	}
	for i, im := range c.Images {
		if im.Group != "" && !seen[im.Group] {
			bad = append(bad, fmt.Sprintf("images[%d].group: %q is not one of groups[].id", i, im.Group))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(bad, "\n"))
}
