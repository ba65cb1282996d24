package web

import (
	"embed"
	"fmt"
	"net/http"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"

	"github.com/spawnhub/spawnhub/spawner/form"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

// Languages the UI speaks; the first is the fallback.
var Languages = []string{"en", "fr"}

// langCookie remembers the language a user picked.
const langCookie = "spawnhub_lang"

// Catalog holds every user-visible text in English and French.
type Catalog struct{ bundle *i18n.Bundle }

// NewCatalog loads the embedded message catalogs.
func NewCatalog() (*Catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	for _, l := range Languages {
		if _, err := b.LoadMessageFileFS(localeFiles, "locales/"+l+".yaml"); err != nil {
			return nil, fmt.Errorf("load %s messages: %w", l, err)
		}
	}
	if err := b.AddMessages(language.English, fieldMessages()...); err != nil {
		return nil, fmt.Errorf("add field messages: %w", err)
	}
	return &Catalog{bundle: b}, nil
}

// fieldMessages are the spawner's form errors in English: the spawner owns
// their wording; the French catalog translates each of them.
func fieldMessages() []*i18n.Message {
	out := make([]*i18n.Message, 0, len(form.FieldErrorCodes))
	for code, text := range form.FieldErrorCodes {
		out = append(out, &i18n.Message{ID: "field." + code, Other: text})
	}
	return out
}

// Translator renders messages in one language.
type Translator struct {
	Lang string
	loc  *i18n.Localizer
}

// For returns a translator for lang, falling back to English.
func (c *Catalog) For(lang string) Translator {
	if !isLanguage(lang) {
		lang = Languages[0]
	}
	return Translator{Lang: lang, loc: i18n.NewLocalizer(c.bundle, lang)}
}

// T renders message id with params; an unknown id renders as itself, so a
// missing translation is visible rather than blank.
func (t Translator) T(id string, params ...map[string]any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(params) > 0 {
		cfg.TemplateData = params[0]
	}
	s, err := t.loc.Localize(cfg)
	if err != nil {
		return id
	}
	return s
}

// Has reports whether the catalog knows id.
func (t Translator) Has(id string) bool {
	_, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: id})
	return err == nil
}

func isLanguage(l string) bool {
	for _, x := range Languages {
		if x == l {
			return true
		}
	}
	return false
}

// requestLanguage picks the language: an explicit ?lang=, the user's
// choice remembered in a cookie, else Accept-Language.
func requestLanguage(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); isLanguage(l) {
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && isLanguage(c.Value) {
		return c.Value
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	for _, t := range tags {
		base, _ := t.Base()
		if isLanguage(strings.ToLower(base.String())) {
			return base.String()
		}
	}
	return Languages[0]
}
