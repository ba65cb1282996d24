package spawner

import (
	"fmt"
	"time"

	"github.com/spawnhub/spawnhub/store"
)

// The culler's sentences. Their parameters: "at" (when the cull comes),
// "idle" (for how long the server has been idle, "2 h 10 min"), "source"
// (what the person did last, a store.Source… that pages say in words) and
// "time" (when they did it); times are "15:04 UTC" in every language.
var (
	sayCulling = Say("culling", "stopping the server: it was idle")
	sayKept    = Say("cull.kept", "kept running after the culler's warning")
)

// sayCullWarning is the culler's warning of d.
func sayCullWarning(d CullDecision) Said {
	code, why, params := cullWhy(d)
	at := clockUTC(d.CullAt)
	return Say("cull.warned."+code, "will be stopped at "+at+": "+why, append(params, "at", at)...)
}

// sayCulled is why the culler stopped a server.
func sayCulled(d CullDecision) Said {
	code, why, params := cullWhy(d)
	return Say("culled."+code, "stopped by the idle culler: "+why, params...)
}

// cullWhy is d's reason: the last part of its catalog code, its English
// words and its parameters.
func cullWhy(d CullDecision) (code, text string, params []string) {
	if d.Reason == store.CullMaxAge {
		return "max_age", "it reached the maximum age", nil
	}
	idle := HumanDuration(d.IdleFor)
	if d.LastActivity.IsZero() {
		return "idle", "idle for " + idle, []string{"idle", idle}
	}
	source, last := d.Source, clockUTC(d.LastActivity)
	if source == "" {
		source = "unknown"
	}
	text = fmt.Sprintf("idle for %s; last activity: %s at %s", idle, source, last)
	return "idle_since", text, []string{"idle", idle, "source", source, "time", last}
}

// HumanDuration is "2 h 10 min", "5 min" or "< 1 min", the same in English
// and French.
func HumanDuration(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case m < 1:
		return "< 1 min"
	case m < 60:
		return fmt.Sprintf("%d min", m)
	case m%60 == 0:
		return fmt.Sprintf("%d h", m/60)
	}
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}

func clockUTC(t time.Time) string { return t.UTC().Format("15:04 UTC") }
