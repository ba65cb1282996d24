package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Say renders a sentence the spawner stored as a code and parameters
// ("say.<code>" in the catalogs), or fallback (its English words) when
// there is no code or the catalog lacks it.
func (t Translator) Say(code string, params map[string]string, fallback string) string {
	if code == "" || !t.Has("say."+code) {
		return fallback
	}
	data := make(map[string]any, len(params))
	for k, v := range params {
		data[k] = v
	}
	if src, ok := params["source"]; ok { // what a person did last (store.Source…), in words
		data["source"] = activitySourceText(t, src)
	}
	return t.T("say."+code, data)
}

// frMonths are the abbreviated month names French dates use.
var frMonths = [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}

// When is a date and time as the language writes it: "Dec 2, 2026, 14:05"
// or "2 déc. 2026, 14 h 05" (UTC).
func (t Translator) When(at time.Time) string {
	if at.IsZero() {
		return "—"
	}
	at = at.UTC()
	if t.Lang == "fr" {
		return fmt.Sprintf("%d %s %d, %d h %02d UTC", at.Day(), frMonths[at.Month()-1], at.Year(), at.Hour(), at.Minute())
	}
	return at.Format("Jan 2, 2006, 15:04 UTC")
}

// Clock is a time of day with seconds (UTC), the same in both languages.
func (t Translator) Clock(at time.Time) string {
	return at.UTC().Format("15:04:05")
}

// Number is an integer with the language's thousands separator.
func (t Translator) Number(n int) string {
	s := strconv.Itoa(n)
	sep := ","
	if t.Lang == "fr" {
		sep = "\u202f" // narrow no-break space
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Ago says how long ago at was, in whole minutes, hours or days.
func (t Translator) Ago(at time.Time, now time.Time) string {
	if at.IsZero() {
		return "—"
	}
	d := now.Sub(at)
	switch {
	case d < time.Minute:
		return t.T("ago.now")
	case d < time.Hour:
		return t.T("ago.minutes", map[string]any{"Count": t.Number(int(d.Minutes()))})
	case d < 48*time.Hour:
		return t.T("ago.hours", map[string]any{"Count": t.Number(int(d.Hours()))})
	}
	return t.T("ago.days", map[string]any{"Count": t.Number(int(d.Hours() / 24))})
}

// Resources says what a server asked for: "1 CPU · 4Gi memory · 1 GPU".
func (t Translator) Resources(sp specView) string {
	var parts []string
	if sp.CPU != "" {
		parts = append(parts, t.T("resources.cpu", map[string]any{"Count": sp.CPU}))
	}
	if sp.Memory != "" {
		parts = append(parts, t.T("resources.memory", map[string]any{"Size": sp.Memory}))
	}
	if sp.GPUs > 0 && sp.GPUVendorName != "" {
		parts = append(parts, t.T("resources.gpus_of", map[string]any{"Count": t.Number(sp.GPUs), "Vendor": sp.GPUVendorName}))
	} else if sp.GPUs > 0 {
		parts = append(parts, t.T("resources.gpus", map[string]any{"Count": t.Number(sp.GPUs)}))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " · ")
}

// Reason is an event's reason ("Started", "Pulling") in words: the
// catalog's "reason.<Reason>", or the reason itself.
func (t Translator) Reason(r string) string {
	if t.Has("reason." + r) {
		return t.T("reason." + r)
	}
	return r
}
