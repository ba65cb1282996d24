package local

import (
	"os"
	"strings"

	"github.com/spawnhub/spawnhub/spawner/form"
	"github.com/spawnhub/spawnhub/spawner/local/desktop"
)

// moreImages are the default images beyond Jupyter's: the remote desktop
// and the R workspaces. Each works only where defaultNeeds says.
func moreImages() []form.Image {
	return []form.Image{
		{
			ID: "desktop", Kind: form.KindDesktop, ReadyPath: "vnc.html", StripPrefix: true,
			ConnectPath:  "vnc.html?autoconnect=1&resize=remote&path={{.Prefix}}websockify",
			Names:        map[string]string{"en": "Linux desktop", "fr": "Bureau Linux"},
			Descriptions: map[string]string{"en": "A remote desktop with a terminal, in the browser (noVNC).", "fr": "Un bureau à distance avec un terminal, dans le navigateur (noVNC)."},
			Command:      []string{"{{.Executable}}", desktop.Subcommand, "--listen", "{{.Host}}:{{.Port}}", "--token-env", "JUPYTER_TOKEN"},
		},
		{
			ID: "r-notebook", Kind: form.KindJupyter, ReadyPath: "api/status",
			Names:        map[string]string{"en": "R notebook (Jupyter)", "fr": "Bloc-notes R (Jupyter)"},
			Descriptions: map[string]string{"en": "The Jupyter notebook with an R kernel (IRkernel).", "fr": "Le bloc-notes Jupyter avec un noyau R (IRkernel)."},
			Command: []string{"/usr/bin/python3", "-m", "notebook", "--no-browser", "--allow-root",
				"--ip={{.Host}}", "--port={{.Port}}", "--NotebookApp.base_url={{.BaseURL}}",
				"--NotebookApp.allow_remote_access=True", "--notebook-dir={{.Home}}",
				"--MappingKernelManager.default_kernel_name=ir"},
		},
		{
			ID: "shiny", Kind: form.KindRStudio, StripPrefix: true,
			Names:        map[string]string{"en": "R Shiny app", "fr": "Application R Shiny"},
			Descriptions: map[string]string{"en": "Runs the Shiny app in ~/app (a starter app the first time).", "fr": "Lance l'application Shiny de ~/app (une application de départ la première fois)."},
			Command:      []string{"/usr/bin/Rscript", "-e", shinyLauncher, "{{.Host}}", "{{.Port}}"},
		},
	}
}

// defaultNeeds are the files an image of the default catalogue needs
// besides its program: the desktop's programs and noVNC, IRkernel's
// kernel spec (Debian's r-cran-irkernel installs it where every Jupyter
// looks), Shiny's R package.
var defaultNeeds = map[string][]string{
	"desktop":    desktop.Programs,
	"r-notebook": {"/usr/bin/R", "/usr/share/jupyter/kernels/ir/kernel.json"},
	"shiny":      {"/usr/lib/R/site-library/shiny/DESCRIPTION"},
}

// needsMet reports whether every file the default image id needs exists.
func needsMet(id string) bool {
	for _, path := range defaultNeeds[id] {
		if _, err := os.Stat(path); err != nil {
			return false
		}
	}
	return true
}

// shinyLauncher runs the Shiny app of ~/app (writing the starter app first
// when there is none) on the host and port given after it. Only requests
// with the server's token, which the proxy adds, are answered: pages
// through Shiny's response filter, websocket sessions by closing those
// opened without it. The token leaves the environment before the app runs.
var shinyLauncher = strings.TrimSpace(`
args <- commandArgs(trailingOnly = TRUE)
want <- paste("token", Sys.getenv("JUPYTER_TOKEN")); Sys.unsetenv("JUPYTER_TOKEN")
if (want == "token ") stop("no token in JUPYTER_TOKEN")
authorized <- function(req) identical(req$HTTP_AUTHORIZATION, want)
dir <- file.path(Sys.getenv("HOME"), "app")
if (!file.exists(file.path(dir, "app.R"))) {
  dir.create(dir, showWarnings = FALSE)
  writeLines(c(
    'library(shiny)',
    'ui <- fluidPage(titlePanel("Hello Shiny"), textInput("name", "Your name", ""), textOutput("greeting"))',
    'server <- function(input, output) output$greeting <- renderText(paste0("Hello, ", input$name, "!"))',
    'shinyApp(ui, server)'), file.path(dir, "app.R"))
}
options(shiny.http.response.filter = function(req, resp)
  if (authorized(req)) resp else shiny::httpResponse(403L, "text/plain", "Forbidden"))
app <- shiny::shinyAppDir(dir)
serverOf <- app$serverFuncSource
app$serverFuncSource <- function() {
  inner <- serverOf()
  function(input, output, session) {
    if (!authorized(session$request)) return(session$close())
    if ("session" %in% names(formals(inner))) inner(input, output, session) else inner(input, output)
  }
}
shiny::runApp(app, host = args[1], port = as.integer(args[2]), launch.browser = FALSE)
`)
