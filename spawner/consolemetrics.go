package spawner

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spawnhub/spawnhub/store"
)

var (
	namespaceServersDesc = prometheus.NewDesc("spawnhub_namespace_servers",
		"Servers by namespace and phase (from the administrators' index).", []string{"namespace", "phase"}, nil)
	queueLengthDesc = prometheus.NewDesc("spawnhub_queue_length",
		"Servers waiting in the start queue, on every replica.", nil, nil)
	requestedDesc = prometheus.NewDesc("spawnhub_requested_resources",
		"CPU cores, memory bytes and GPUs requested by the servers running now.", []string{"resource"}, nil)
)

// ConsoleCollector reports the index's totals at each scrape: a few reads
// of group totals (one per namespace for the per-namespace counts), never
// every record.
type ConsoleCollector struct{ c *Console }

// NewConsoleCollector returns the collector of c's totals.
func NewConsoleCollector(c *Console) ConsoleCollector { return ConsoleCollector{c: c} }

// Describe sends the metrics' descriptions.
func (cc ConsoleCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- namespaceServersDesc
	ch <- queueLengthDesc
	ch <- requestedDesc
}

// Collect reads the totals.
func (cc ConsoleCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fleet, err := cc.c.st.Buckets(ctx, nil)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueLengthDesc, err)
		return
	}
	var queued float64
	var running Totals
	for _, b := range fleet {
		switch b.Phase {
		case store.PhaseQueued:
			queued += float64(b.Servers)
		case store.PhaseRunning:
			running.add(b)
		}
	}
	ch <- prometheus.MustNewConstMetric(queueLengthDesc, prometheus.GaugeValue, queued)
	ch <- prometheus.MustNewConstMetric(requestedDesc, prometheus.GaugeValue, float64(running.CPUMilli)/1000, "cpu")
	ch <- prometheus.MustNewConstMetric(requestedDesc, prometheus.GaugeValue, float64(running.MemoryBytes), "memory")
	ch <- prometheus.MustNewConstMetric(requestedDesc, prometheus.GaugeValue, float64(running.GPUs), "gpu")
	cc.collectNamespaces(ctx, ch)
}

func (cc ConsoleCollector) collectNamespaces(ctx context.Context, ch chan<- prometheus.Metric) {
	nss, err := cc.c.st.ListNamespaces(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(namespaceServersDesc, err)
		return
	}
	names := make([]string, len(nss))
	for i, n := range nss {
		names[i] = n.Name
	}
	buckets, err := cc.c.st.Buckets(ctx, names)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(namespaceServersDesc, err)
		return
	}
	type nsPhase struct{ ns, phase string }
	n := map[nsPhase]int64{}
	for _, b := range buckets {
		n[nsPhase{b.Namespace, string(b.Phase)}] += b.Servers
	}
	for k, v := range n {
		ch <- prometheus.MustNewConstMetric(namespaceServersDesc, prometheus.GaugeValue, float64(v), k.ns, k.phase)
	}
}
