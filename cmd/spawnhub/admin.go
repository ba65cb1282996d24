package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spawnhub/spawnhub/spawner"
	"github.com/spawnhub/spawnhub/store"
)

const adminUsage = "usage: spawnhub admin servers|stop|cull|usage [--url URL] [--token-file FILE] [flags]"

// runAdmin runs one admin command against a running spawnhub.
func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return errors.New(adminUsage)
	}
	cmds := map[string]func(context.Context, *adminCmd) error{
		"servers": adminServers, "stop": adminStop, "cull": adminCull, "usage": adminUsageCmd,
	}
	run, ok := cmds[args[0]]
	if !ok {
		return fmt.Errorf("unknown admin command %q\n%s", args[0], adminUsage)
	}
	c := &adminCmd{fs: flag.NewFlagSet("admin "+args[0], flag.ContinueOnError), out: stdout, args: args[1:], getenv: getenv}
	c.fs.SetOutput(stderr)
	defURL := getenv("SPAWNHUB_URL")
	if defURL == "" {
		defURL = "http://127.0.0.1:8000"
	}
	c.fs.StringVar(&c.url, "url", defURL, "the spawnhub to talk to (default $SPAWNHUB_URL)")
	c.fs.StringVar(&c.tokenFile, "token-file", "", "file holding an admin API token (default $SPAWNHUB_TOKEN)")
	c.fs.StringVar(&c.output, "o", "table", "output: table or json")
	return run(ctx, c)
}

// adminCmd is one admin command being parsed and run.
type adminCmd struct {
	fs                     *flag.FlagSet
	out                    io.Writer
	args                   []string
	getenv                 func(string) string
	url, tokenFile, output string
}

// parse reads the flags and connects; it returns the positional arguments.
func (c *adminCmd) parse() (*adminClient, []string, error) {
	if err := c.fs.Parse(c.args); err != nil {
		return nil, nil, err
	}
	if c.output != "table" && c.output != "json" && c.output != "csv" {
		return nil, nil, fmt.Errorf("-o %q: want table or json", c.output)
	}
	cl, err := newAdminClient(c.url, c.tokenFile, c.getenv)
	return cl, c.fs.Args(), err
}

func (c *adminCmd) json(v any) error {
	enc := json.NewEncoder(c.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// filterFlags are the console's filters as flags.
type filterFlags struct{ namespace, owner, image, kind, phase, gpu, idleFor string }

func (f *filterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.namespace, "namespace", "", "only this namespace")
	fs.StringVar(&f.owner, "owner", "", "only namespaces owned by this user")
	fs.StringVar(&f.image, "image", "", "only this image")
	fs.StringVar(&f.kind, "kind", "", "only this kind (jupyter, rstudio, desktop, …)")
	fs.StringVar(&f.phase, "phase", "", "only this phase (running, stopped, …)")
	fs.StringVar(&f.gpu, "gpu", "", "true: only servers with GPUs; false: only without")
	fs.StringVar(&f.idleFor, "idle-for", "", "only running servers idle for longer than this (2h, 90m)")
}

func (f filterFlags) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"namespace": f.namespace, "owner": f.owner, "image": f.image,
		"kind": f.kind, "phase": f.phase, "gpu": f.gpu, "idleFor": f.idleFor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// adminServers lists servers, following the cursor up to --limit.
func adminServers(ctx context.Context, c *adminCmd) error {
	var f filterFlags
	f.register(c.fs)
	sort := c.fs.String("sort", "name", "name, started or idle; -name etc. to reverse")
	limit := c.fs.Int("limit", 200, "at most this many servers")
	cl, _, err := c.parse()
	if err != nil {
		return err
	}
	q := f.values()
	q.Set("sort", *sort)
	var all spawner.ServerPage
	for {
		q.Set("limit", fmt.Sprint(min(*limit-len(all.Items), spawner.MaxPage)))
		var page spawner.ServerPage
		if err := cl.getJSON(ctx, "/api/v1/admin/servers", q, &page); err != nil {
			return err
		}
		all.Items, all.Totals, all.Next = append(all.Items, page.Items...), page.Totals, page.Next
		if page.Next == "" || len(all.Items) >= *limit {
			break
		}
		q.Set("cursor", page.Next)
	}
	if c.output == "json" {
		return c.json(all)
	}
	return writeServers(c.out, all, time.Now())
}

// adminStop stops what --filter matches, or the NS/NAME arguments.
func adminStop(ctx context.Context, c *adminCmd) error {
	filter := c.fs.String("filter", "", "servers to stop: key=value pairs separated by commas (namespace, owner, image, kind, phase, gpu, idleFor)")
	dryRun := c.fs.Bool("dry-run", false, "only show what would stop")
	cl, args, err := c.parse()
	if err != nil {
		return err
	}
	body := map[string]any{"dryRun": *dryRun}
	switch {
	case *filter != "" && len(args) > 0, *filter == "" && len(args) == 0:
		return errors.New("give either --filter or NS/NAME arguments")
	case *filter != "":
		f, err := parseFilter(*filter)
		if err != nil {
			return err
		}
		body["filter"] = f
	default:
		keys := make([]store.Key, 0, len(args))
		for _, a := range args {
			k, ok := store.ParseKey(a)
			if !ok {
				return fmt.Errorf("%q: want NAMESPACE/NAME", a)
			}
			keys = append(keys, k)
		}
		body["servers"] = keys
	}
	var res stopAnswer
	if err := cl.postJSON(ctx, "/api/v1/admin/stop", body, &res); err != nil {
		return err
	}
	if c.output == "json" {
		err = c.json(res)
	} else {
		err = writeStops(c.out, res)
	}
	if err != nil {
		return err
	}
	for _, r := range res.Items {
		if r.Error != "" {
			return fmt.Errorf("%s: %s", r.Key, r.Error)
		}
	}
	return nil
}

// stopAnswer is the API's answer to a bulk stop.
type stopAnswer struct {
	DryRun bool                 `json:"dryRun"`
	Count  int                  `json:"count"`
	Items  []spawner.StopResult `json:"items"`
}

// parseFilter reads "idleFor=2h,gpu=true" into the API's filter.
func parseFilter(s string) (map[string]any, error) {
	out := map[string]any{}
	known := map[string]bool{"namespace": true, "owner": true, "image": true, "kind": true, "phase": true, "gpu": true, "idleFor": true}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if k == "idle-for" {
			k = "idleFor"
		}
		if !ok || !known[k] {
			return nil, fmt.Errorf("--filter %q: want key=value pairs with keys namespace, owner, image, kind, phase, gpu, idleFor", kv)
		}
		out[k] = v
		if k == "gpu" {
			out[k] = v == "true"
		}
	}
	return out, nil
}

// adminCull asks for a sweep of the idle culler now.
func adminCull(ctx context.Context, c *adminCmd) error {
	dryRun := c.fs.Bool("dry-run", false, "only show what would be warned or culled")
	cl, _, err := c.parse()
	if err != nil {
		return err
	}
	var res struct {
		Items []cullRow `json:"items"`
	}
	if err := cl.postJSON(ctx, "/api/v1/admin/cull", map[string]any{"dryRun": *dryRun}, &res); err != nil {
		return err
	}
	if c.output == "json" {
		return c.json(res)
	}
	return writeCulls(c.out, res.Items, *dryRun)
}

// cullRow is one decision of a sweep as the API gives it.
type cullRow struct {
	spawner.CullDecision
	Why string `json:"why"`
}

// adminUsageCmd prints the usage over a period (default: this month).
func adminUsageCmd(ctx context.Context, c *adminCmd) error {
	from := c.fs.String("from", "", "start of the period: 2026-03-01 or an RFC 3339 time (default: the 1st of this month)")
	to := c.fs.String("to", "", "end of the period (default: now)")
	cl, _, err := c.parse()
	if err != nil {
		return err
	}
	q := url.Values{}
	if *from != "" {
		q.Set("from", *from)
	}
	if *to != "" {
		q.Set("to", *to)
	}
	if c.output == "csv" {
		q.Set("format", "csv")
		b, err := cl.do(ctx, "GET", "/api/v1/admin/usage", q, nil, "text/csv")
		if err == nil {
			_, err = c.out.Write(b)
		}
		return err
	}
	var u spawner.Usage
	if err := cl.getJSON(ctx, "/api/v1/admin/usage", q, &u); err != nil {
		return err
	}
	if c.output == "json" {
		return c.json(u)
	}
	return writeUsage(c.out, u)
}
