package form

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/template"
)

// ConnectData is what an Image.ConnectPath may refer to.
type ConnectData struct {
	// BaseURL is the server's URL path: /notebook/<ns>/<server>/.
	BaseURL string
	// Prefix is BaseURL without its leading slash, notebook/<ns>/<server>/,
	// the form noVNC's path parameter takes (it adds the slash itself).
	Prefix string
}

// ConnectPathFor returns where Connect lands in the server, relative to its
// base URL (e.g. "vnc.html?autoconnect=1&path=notebook/alice/desk/websockify"),
// or "" for the base URL itself. basePath is the server's
// /notebook/<ns>/<server>/. The template was checked by Config.Validate; a
// template that fails here gives "" (the base URL), never a link elsewhere.
func (im Image) ConnectPathFor(basePath string) string {
	if im.ConnectPath == "" {
		return ""
	}
	out, err := expandConnectPath(im.ConnectPath, basePath)
	if err != nil {
		return ""
	}
	return out
}

// expandConnectPath fills the template and checks that the result stays
// under the base URL: a relative path with no scheme, host, leading slash
// or "..".
func expandConnectPath(tmpl, basePath string) (string, error) {
	t, err := template.New("connectPath").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	if err := t.Execute(&sb, ConnectData{BaseURL: basePath, Prefix: strings.TrimPrefix(basePath, "/")}); err != nil {
		return "", err
	}
	out := sb.String()
	u, err := url.Parse(out)
	if err != nil {
		return "", err
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(out, "/") || strings.HasPrefix(out, "\\") {
		return "", errors.New("must be a path relative to the server's URL")
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == ".." {
			return "", errors.New(`must not leave the server's URL with ".."`)
		}
	}
	return out, nil
}

// validateConnectPath checks the template against a sample server.
func (im Image) validateConnectPath(path string) error {
	if im.ConnectPath == "" {
		return nil
	}
	if _, err := expandConnectPath(im.ConnectPath, "/notebook/ns/server/"); err != nil {
		return fmt.Errorf("%s.connectPath: %w", path, err)
	}
	return nil
}
