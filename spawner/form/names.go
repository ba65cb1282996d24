package form

import (
	"crypto/rand"
	"regexp"
	"strings"
)

const (
	maxNameLen         = 40
	generatedSuffixLen = 5
)

var nameRE = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// validName reports whether s is a lowercase DNS-style name of at most 40
// characters that starts with a letter and does not end with a dash.
func validName(s string) bool {
	return len(s) <= maxNameLen && nameRE.MatchString(s)
}

// ValidateName checks a server name; the error is a *FieldError on "name".
func ValidateName(name string) error {
	if name == "" {
		return fieldErr("name", "name.required", nil)
	}
	if !validName(name) {
		return fieldErr("name", "name.invalid", map[string]any{"name": name, "max": maxNameLen})
	}
	return nil
}

// GenerateName returns "<imageID>-<5 random lowercase letters and digits>",
// a valid name for any valid image id.
func GenerateName(imageID string) string {
	return imageID + "-" + randomSuffix()
}

// randomSuffix is generatedSuffixLen random lower-case letters and digits
// (crypto/rand's text, as every random id of spawnhub).
func randomSuffix() string { return strings.ToLower(rand.Text()[:generatedSuffixLen]) }
