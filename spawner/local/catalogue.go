package local

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/spawnhub/spawnhub/spawner/form"
)

// DefaultImages is the catalogue of the embedded default: the built-in demo
// server, which always works, and Jupyter, desktop and R images that work
// only where the Debian packages are installed (filter them with
// AvailableImages). The
// Jupyter token comes from the JUPYTER_TOKEN environment variable, not the
// command line, which every local user can read.
func DefaultImages() []form.Image {
	return append([]form.Image{
		{
			ID: "demo", Kind: form.KindDemo, Default: true,
			Names:        map[string]string{"en": "Demo server", "fr": "Serveur de démonstration"},
			Descriptions: map[string]string{"en": "A tiny built-in server, to try spawnhub.", "fr": "Un petit serveur intégré, pour essayer spawnhub."},
			Command:      DemoCommand,
		},
		{
			ID: "jupyter-notebook", Kind: form.KindJupyter, ReadyPath: "api/status",
			Names:        map[string]string{"en": "Jupyter Notebook", "fr": "Jupyter Notebook"},
			Descriptions: map[string]string{"en": "The classic Jupyter notebook with Python.", "fr": "Le bloc-notes Jupyter classique avec Python."},
			Command: []string{"/usr/bin/python3", "-m", "notebook", "--no-browser", "--allow-root",
				"--ip={{.Host}}", "--port={{.Port}}", "--NotebookApp.base_url={{.BaseURL}}",
				"--NotebookApp.allow_remote_access=True", "--notebook-dir={{.Home}}"},
		},
		{
			ID: "jupyter-server", Kind: form.KindJupyter, ReadyPath: "api/status",
			Names:        map[string]string{"en": "Jupyter Server (API only)", "fr": "Serveur Jupyter (API seulement)"},
			Descriptions: map[string]string{"en": "jupyter_server with a Python kernel, no user interface.", "fr": "jupyter_server avec un noyau Python, sans interface."},
			Command: []string{"/usr/bin/python3", "-m", "jupyter_server", "--no-browser", "--allow-root",
				"--ip={{.Host}}", "--port={{.Port}}", "--ServerApp.base_url={{.BaseURL}}",
				"--ServerApp.allow_remote_access=True", "--ServerApp.root_dir={{.Home}}"},
		},
	}, moreImages()...)
}

// DemoTokenEnv is the environment variable that carries the demo server's
// token (never argv, which ps shows to everyone).
const DemoTokenEnv = "SPAWNHUB_DEMO_TOKEN"

// DemoCommand runs the built-in demo server through the hidden subcommand
// of the spawnhub binary:
//
//	<spawnhub> demo-server --listen 127.0.0.1:<port> --base-url <base> --token-env SPAWNHUB_DEMO_TOKEN
var DemoCommand = []string{"{{.Executable}}", "demo-server", "--listen", "{{.Host}}:{{.Port}}",
	"--base-url", "{{.BaseURL}}", "--token-env", DemoTokenEnv}

// Available reports whether this machine can run the image: its program
// exists and, for "python -m module", the module imports. Programs given as
// templates (the spawnhub binary) are assumed present. Results are cached
// for the life of the process.
func Available(im form.Image) bool {
	if len(im.Command) == 0 {
		return false
	}
	prog := im.Command[0]
	if strings.Contains(prog, "{{") {
		return true
	}
	module := ""
	if len(im.Command) > 2 && im.Command[1] == "-m" {
		module = im.Command[2]
	}
	return availability(prog, module)
}

// AvailableImages returns the images that are Available, and for the
// default catalogue's desktop and R images, whose other programs and files
// are installed too.
func AvailableImages(ims []form.Image) []form.Image {
	var out []form.Image
	for _, im := range ims {
		if Available(im) && needsMet(im.ID) {
			out = append(out, im)
		}
	}
	return out
}

var availCache sync.Map // prog + "\x00" + module → bool

func availability(prog, module string) bool {
	key := prog + "\x00" + module
	if v, ok := availCache.Load(key); ok {
		return v.(bool)
	}
	ok := probeImage(prog, module)
	availCache.Store(key, ok)
	return ok
}

func probeImage(prog, module string) bool {
	path, err := exec.LookPath(prog)
	if err != nil {
		return false
	}
	if module == "" {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, path, "-c", "import "+module).Run() == nil
}
