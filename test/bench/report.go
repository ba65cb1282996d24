package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
)

// Report is one run of the tool: the settings, the machine, one result per
// target in the order measured, and the targets that were skipped.
type Report struct {
	CPUs     int               `json:"cpus"`
	Settings Settings          `json:"settings"`
	Results  []Result          `json:"results"`
	Skipped  map[string]string `json:"skipped,omitempty"` // target → why / how to install
}

// Ratios are a result compared with direct access and with nginx and
// configurable-http-proxy in the same run; zero when either side was not
// measured (a target that failed part way keeps what it measured).
type Ratios struct {
	RPSvsDirect  float64 `json:"rpsVsDirect"`
	RPSvsNginx   float64 `json:"rpsVsNginx"`
	RPSvsCHP     float64 `json:"rpsVsCHP"`
	CPUvsNginx   float64 `json:"proxyCPUVsNginx"`
	InstrVsNginx float64 `json:"proxyInstructionsVsNginx,omitempty"`
	WSAddedP50   float64 `json:"wsAddedP50Us"` // round trip p50 minus direct's, timed in alternation
	WSMsgVsNginx float64 `json:"wsMessagesVsNginx"`
	WSCPUVsNginx float64 `json:"wsProxyCPUVsNginx"`
}

func (r Report) find(name string) (Result, bool) {
	for _, x := range r.Results {
		if x.Target == name {
			return x, true
		}
	}
	return Result{}, false
}

// Ratios compares res with the references of the same run.
func (r Report) Ratios(res Result) Ratios {
	var out Ratios
	div := func(a, b float64) float64 {
		if a == 0 || b == 0 {
			return 0
		}
		return a / b
	}
	if d, ok := r.find(targetDirect); ok {
		out.RPSvsDirect = div(res.RPS, d.RPS)
	}
	if res.WSP50us > 0 && res.Target != targetDirect {
		out.WSAddedP50 = res.WSP50us - res.WSDirectP50us
	}
	if n, ok := r.find(targetNginx); ok {
		out.RPSvsNginx = div(res.RPS, n.RPS)
		out.CPUvsNginx = div(res.ProxyCPUus, n.ProxyCPUus)
		out.InstrVsNginx = div(res.ProxyInstr, n.ProxyInstr)
		out.WSMsgVsNginx = div(res.WSMsgPerSec, n.WSMsgPerSec)
		out.WSCPUVsNginx = div(res.WSProxyCPUus, n.WSProxyCPUus)
	}
	if c, ok := r.find(targetCHP); ok {
		out.RPSvsCHP = div(res.RPS, c.RPS)
	}
	return out
}

// WriteJSON writes the report with each result's ratios.
func (r Report) WriteJSON(w io.Writer) error {
	type row struct {
		Result
		Ratios
	}
	rows := make([]row, len(r.Results))
	for i, x := range r.Results {
		rows[i] = row{x, r.Ratios(x)}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Report
		Results []row `json:"results"`
	}{r, rows})
}

// WriteMarkdown writes the report as tables.
func (r Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	s := r.Settings
	fmt.Fprintf(&b, "spawnhub benchmark: %d CPUs, %s; GET with %d keep-alive connections for %v in %d rounds taking the targets in turn (%v warmup each); %d websocket echoes; %d idle websockets\n\n",
		r.CPUs, runtime.Version(), s.Conns, s.Duration, max(s.Rounds, 1), s.Warmup, s.Echoes, s.Idle)
	b.WriteString("| target | req/s | × direct | × nginx | × CHP | proxy CPU µs/req | × nginx | backend CPU µs/req | load generator CPU µs/req |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, x := range r.Results {
		if x.RPS == 0 {
			continue
		}
		q := r.Ratios(x)
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %s | %s | %.1f | %.1f |\n", x.Target, x.RPS,
			ratio(q.RPSvsDirect), ratio(q.RPSvsNginx), ratio(q.RPSvsCHP),
			num(x.ProxyCPUus), ratio(q.CPUvsNginx), x.BackendCPUus, x.GeneratorCPUus)
	}
	writeInstructions(&b, r)
	b.WriteString("\n| target | websocket round trip p50 µs | p99 µs | p50 added to direct µs (timed in alternation) | idle websockets | KiB per idle websocket |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	for _, x := range r.Results {
		if x.WSP50us == 0 {
			continue
		}
		q := r.Ratios(x)
		added := "–"
		if x.Target != targetDirect {
			added = fmt.Sprintf("%+.0f", q.WSAddedP50)
		}
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %s | %d | %s |\n", x.Target, x.WSP50us, x.WSP99us, added,
			x.IdleWebsockets, num(float64(x.IdleBytesPerWS)/1024))
	}
	fmt.Fprintf(&b, "\n| target | websocket messages/s (%d websockets, %d in flight each) | × nginx | proxy CPU µs/message | × nginx |\n", wsLoadConns, wsInFlight)
	b.WriteString("|---|---:|---:|---:|---:|\n")
	for _, x := range r.Results {
		if x.WSMsgPerSec == 0 {
			continue
		}
		q := r.Ratios(x)
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s |\n", x.Target, x.WSMsgPerSec, ratio(q.WSMsgVsNginx), num(x.WSProxyCPUus), ratio(q.WSCPUVsNginx))
	}
	b.WriteString("\nproxy CPU is utime+stime of the proxy's processes (all nginx workers) from /proc; for direct, the idle websocket memory is the backend's.\n")
	b.WriteString("The load generator runs on the same cores: its CPU per request competes with the proxy's.\n")
	for _, x := range r.Results {
		if x.Error != "" {
			fmt.Fprintf(&b, "\n%s failed: %s\n", x.Target, x.Error)
		}
	}
	for name, why := range r.Skipped {
		fmt.Fprintf(&b, "\n%s skipped: %s\n", name, why)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeInstructions adds the instruction counts of a -callgrind run.
func writeInstructions(b *strings.Builder, r Report) {
	header := false
	for _, x := range r.Results {
		if x.ProxyInstr == 0 {
			continue
		}
		if !header {
			b.WriteString("\n| target | proxy instructions/req (callgrind, user space) | × nginx |\n|---|---:|---:|\n")
			header = true
		}
		fmt.Fprintf(b, "| %s | %.0f | %s |\n", x.Target, x.ProxyInstr, ratio(r.Ratios(x).InstrVsNginx))
	}
}

func ratio(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", v)
}

func num(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f", v)
}
