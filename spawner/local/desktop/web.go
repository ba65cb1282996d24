package desktop

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
)

// connectQuery is what noVNC's vnc.html needs to connect at once, sized to
// the browser window, to the websocket under prefix (a URL path without
// its leading slash, noVNC adds it; namespace and server names need no
// escaping).
func connectQuery(prefix string) string {
	return "autoconnect=1&resize=remote&path=" + prefix + "websockify"
}

// writeWebRoot fills dir with what websockify serves: noVNC's files (links
// into novnc) and an index.html that sends a visitor of the server's own
// URL on to vnc.html, connected. prefix is the server's URL path without
// its leading slash (notebook/<ns>/<server>/), since websockify serves at
// "/" behind the proxy's stripped prefix.
func writeWebRoot(dir, novnc, prefix string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(novnc)
	if err != nil {
		return fmt.Errorf("noVNC files: %w", err)
	}
	for _, e := range entries {
		if e.Name() == "index.html" {
			continue
		}
		link := filepath.Join(dir, e.Name())
		os.Remove(link)
		if err := os.Symlink(filepath.Join(novnc, e.Name()), link); err != nil {
			return err
		}
	}
	target := html.EscapeString("vnc.html?" + connectQuery(prefix))
	page := `<!doctype html><meta charset="utf-8"><title>Desktop</title>` +
		`<meta http-equiv="refresh" content="0; url=` + target + `">` +
		`<a href="` + target + `">Desktop</a>` + "\n"
	return os.WriteFile(filepath.Join(dir, "index.html"), []byte(page), 0o600)
}

// prefixOf turns NB_PREFIX (/notebook/<ns>/<server>) into noVNC's form,
// notebook/<ns>/<server>/.
func prefixOf(nbPrefix string) string {
	p := strings.Trim(nbPrefix, "/")
	if p == "" {
		return ""
	}
	return p + "/"
}
