package main

import (
	"fmt"
	"io"
	"time"
)

// writeTable prints the rounds as a markdown table.
func writeTable(w io.Writer, o Options, rows []Row) {
	backend := "local backend (demo server processes)"
	switch {
	case o.Kubeconfig != "":
		backend = "kubernetes backend (kwok pods)"
	case o.Jupyter:
		backend = "local backend (Jupyter Notebook processes)"
	}
	fmt.Fprintf(w, "\n%d replicas on one Redis, %s, users arriving within %s, maxConcurrentStarts %d per replica\n\n",
		o.Replicas, backend, o.Window, o.Starts)
	fmt.Fprintln(w, "| launches | running | errors | 429 | time to all running | launches/s | GET /api/v1/me p50 | p99 | probes | progress streams | Redis commands per launch (probes excluded) | Kubernetes API calls per launch |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		kube := "–"
		if r.KubePerLaun >= 0 {
			kube = fmt.Sprintf("%.1f", r.KubePerLaun)
		}
		fmt.Fprintf(w, "| %d | %d | %d | %d | %s | %.1f | %s | %s | %d | %d | %.1f | %s |\n",
			r.Users, r.Running, r.Errors, r.TooMany, r.Elapsed.Round(10*time.Millisecond), r.LaunchesPerS,
			r.MeP50.Round(10*time.Microsecond), r.MeP99.Round(10*time.Microsecond), r.MeCount, r.Streams, r.RedisPerLaun, kube)
	}
	for _, r := range rows {
		if r.Killed {
			fmt.Fprintf(w, "\nat %d launches one replica was killed with SIGKILL after %d were accepted\n", r.Users, o.KillAt)
		}
		if r.RedisTop != "" {
			fmt.Fprintf(w, "\nRedis commands per launch at %d launches, most sent first: %s\n", r.Users, r.RedisTop)
		}
		if r.FirstError != "" {
			fmt.Fprintf(w, "\nfirst error at %d launches: %s\n", r.Users, r.FirstError)
		}
	}
}
