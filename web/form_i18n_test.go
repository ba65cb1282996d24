package web

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestCatalogsHaveTheSameKeys keeps the French catalog complete: every
// English text (form and volumes pages included) has a French one.
func TestCatalogsHaveTheSameKeys(t *testing.T) {
	keys := map[string]map[string]string{}
	for _, l := range Languages {
		raw, err := localeFiles.ReadFile("locales/" + l + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := yaml.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s.yaml: %v", l, err)
		}
		keys[l] = m
	}
	for k := range keys["en"] {
		if _, ok := keys["fr"][k]; !ok {
			t.Errorf("fr.yaml lacks %s", k)
		}
	}
	for k := range keys["fr"] {
		if _, ok := keys["en"][k]; !ok && !isFieldCode(k) {
			t.Errorf("en.yaml lacks %s", k)
		}
	}
}

// isFieldCode: the English texts of form errors come from the spawner.
func isFieldCode(k string) bool { return strings.HasPrefix(k, "field.") }
