package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spawnhub/spawnhub/spawner"
)

// The admin commands' tables, for people; -o json is for scripts.

func writeServers(w io.Writer, p spawner.ServerPage, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tNAME\tOWNER\tIMAGE\tKIND\tPHASE\tCPU\tMEMORY\tGPU\tSTARTED\tIDLE\tLAST ACTIVITY\tCULL AT")
	for _, s := range p.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n",
			s.Namespace, s.Name, dash(s.Owner), dash(s.Image), dash(s.Kind), s.Phase, cores(s.CPUMilli), gib(s.MemoryBytes), s.GPUs,
			ago(s.StartedAt, now), idle(s.IdleFor), dash(s.Source), clock(s.CullAt))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	t := p.Totals
	more := ""
	if int64(len(p.Items)) < t.Servers {
		more = fmt.Sprintf(" (%d shown)", len(p.Items))
	}
	_, err := fmt.Fprintf(w, "%d servers%s: %s CPUs, %s memory, %d GPUs\n", t.Servers, more, cores(t.CPUMilli), gib(t.MemoryBytes), t.GPUs)
	return err
}

func writeStops(w io.Writer, res stopAnswer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tNAME\tPHASE\tRESULT")
	for _, r := range res.Items {
		result := "stopped"
		switch {
		case r.Error != "":
			result = "error: " + r.Error
		case res.DryRun && r.Stopped:
			result = "would stop"
		case !r.Stopped:
			result = "already stopped"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Namespace, r.Name, dash(string(r.Phase)), result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verb := "stopped"
	if res.DryRun {
		verb = "would stop (dry run: nothing changed)"
	}
	_, err := fmt.Fprintf(w, "%d servers %s\n", res.Count, verb)
	return err
}

func writeCulls(w io.Writer, rows []cullRow, dryRun bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tNAME\tKIND\tACTION\tCULL AT\tWHY")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Namespace, r.Name, dash(r.Kind), r.Action, clock(r.CullAt), r.Why)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	note := ""
	if dryRun {
		note = " (dry run: nothing changed)"
	}
	_, err := fmt.Fprintf(w, "%d decisions%s\n", len(rows), note)
	return err
}

func writeUsage(w io.Writer, u spawner.Usage) error {
	fmt.Fprintf(w, "usage from %s to %s\n", u.From.Format(time.RFC3339), u.To.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "BY\tNAME\tRUNS\tCPU-HOURS\tGIB-HOURS\tGPU-HOURS\t")
	line := func(by string, r spawner.UsageRow) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t\n", by, r.Name, r.Runs, num(r.CPUHours), num(r.MemoryGiBHours), num(r.GPUHours))
	}
	for _, r := range u.ByNamespace {
		line("namespace", r)
	}
	for _, r := range u.ByImage {
		line("image", r)
	}
	line("total", u.Total)
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cores(milli int64) string { return strconv.FormatFloat(float64(milli)/1000, 'f', -1, 64) }

func gib(b int64) string { return strconv.FormatFloat(float64(b)/(1<<30), 'f', 1, 64) + "Gi" }

func num(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func ago(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return now.Sub(t).Truncate(time.Minute).String() + " ago"
}

func idle(d spawner.Duration) string {
	if d == 0 {
		return "-"
	}
	return time.Duration(d).Truncate(time.Minute).String()
}

func clock(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}
