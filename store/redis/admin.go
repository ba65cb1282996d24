package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/store"
)

// adminKeys are the index's keys in indexServer's KEYS order.
func (s *Store) adminKeys(ns string) []string {
	parts := []string{"sums", "meta", "names", "started", "buckets", "live", "runs", "buckets:" + ns}
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = s.k.admin(p)
	}
	return out
}

// index writes key's entry of the administrators' index after its record
// changed (after == nil: deleted). It is a second command, in another slot
// than the record: if it fails, the console shows the previous state until
// the next change of that server.
func (s *Store) index(ctx context.Context, key store.Key, after *store.Server) error {
	m := key.String()
	args := []any{m, "0", "", "", "", 0, 0, 0, "", "", time.Now().UnixMilli()}
	if after != nil {
		sum := store.SummaryOf(*after)
		b, err := json.Marshal(sum)
		if err != nil {
			return fmt.Errorf("index server %s: %w", key, err)
		}
		bucket, live, started := bucketField(sum), liveEntry(sum), store.StartedCursor(sum)
		meta := strings.Join([]string{strconv.FormatInt(sum.Version, 10), bucket,
			strconv.FormatInt(sum.CPUMilli, 10), strconv.FormatInt(sum.MemoryBytes, 10),
			strconv.Itoa(sum.GPUs), started, live}, "\n")
		end := store.RunEnd(time.Time{}, *after, time.Now()).UnixMilli()
		args = []any{m, sum.Version, b, meta, bucket, sum.CPUMilli, sum.MemoryBytes, sum.GPUs, started, live, end}
	}
	if err := indexServer.Run(ctx, s.rdb, s.adminKeys(key.Namespace), args...).Err(); err != nil {
		return fmt.Errorf("index server %s: %w", key, err)
	}
	return nil
}

// bucketField names a summary's group: phase, kind, image and whether it
// has GPUs, separated by unit separators.
func bucketField(s store.Summary) string {
	gpu := "0"
	if s.GPUs > 0 {
		gpu = "1"
	}
	return strings.Join([]string{string(s.Phase), s.Kind, s.Image, gpu}, "\x1f")
}

// liveEntry is what a run is made of while the server runs; "" otherwise.
func liveEntry(s store.Summary) string {
	if !s.Live() {
		return ""
	}
	return strings.Join([]string{strconv.FormatInt(s.StartedAt.UnixMilli(), 10),
		strconv.FormatInt(s.CPUMilli, 10), strconv.FormatInt(s.MemoryBytes, 10),
		strconv.Itoa(s.GPUs), s.Image}, "\t")
}

// Buckets reads the fleet's groups (namespaces nil) in one HGETALL, or
// those of each namespace in one pipeline.
func (s *Store) Buckets(ctx context.Context, namespaces []string) ([]store.Bucket, error) {
	if namespaces == nil {
		fields, err := s.rdb.HGetAll(ctx, s.k.admin("buckets")).Result()
		if err != nil {
			return nil, fmt.Errorf("read server totals: %w", err)
		}
		return parseBuckets("", fields), nil
	}
	cmds := make([]*goredis.MapStringStringCmd, len(namespaces))
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, ns := range namespaces {
			cmds[i] = p.HGetAll(ctx, s.k.admin("buckets:"+ns))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read server totals of %d namespaces: %w", len(namespaces), err)
	}
	var out []store.Bucket
	for i, cmd := range cmds {
		out = append(out, parseBuckets(namespaces[i], cmd.Val())...)
	}
	return out, nil
}

// parseBuckets reads the fields "<group>|n|cpu|mem|gpu" of a totals hash.
func parseBuckets(ns string, fields map[string]string) []store.Bucket {
	groups := map[string]*store.Bucket{}
	for f, v := range fields {
		group, what, ok := cutLast(f, "|")
		if !ok {
			continue
		}
		b := groups[group]
		if b == nil {
			b = parseBucket(ns, group)
			groups[group] = b
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		switch what {
		case "n":
			b.Servers = n
		case "cpu":
			b.CPUMilli = n
		case "mem":
			b.MemoryBytes = n
		case "gpu":
			b.GPUs = n
		}
	}
	out := make([]store.Bucket, 0, len(groups))
	for _, b := range groups {
		if b.Servers > 0 {
			out = append(out, *b)
		}
	}
	return out
}

func parseBucket(ns, group string) *store.Bucket {
	p := strings.Split(group, "\x1f")
	for len(p) < 4 {
		p = append(p, "")
	}
	return &store.Bucket{Namespace: ns, Phase: store.Phase(p[0]), Kind: p[1], Image: p[2], GPU: p[3] == "1"}
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// Runs reads the finished runs ending after from (one range query on the
// history) and the live ones (one HGETALL), keeping those that overlap.
func (s *Store) Runs(ctx context.Context, from, to time.Time) ([]store.Run, error) {
	ended, err := s.rdb.ZRangeByScore(ctx, s.k.admin("runs"), &goredis.ZRangeBy{Min: "(" + ms(from), Max: "+inf"}).Result()
	if err != nil {
		return nil, fmt.Errorf("read runs: %w", err)
	}
	live, err := s.rdb.HGetAll(ctx, s.k.admin("live")).Result()
	if err != nil {
		return nil, fmt.Errorf("read running servers: %w", err)
	}
	var out []store.Run
	for _, e := range ended {
		member, rest, _ := strings.Cut(e, "\t")
		entry, end, _ := cutLast(rest, "\t")
		if r, ok := parseRun(member, entry, end); ok && r.Start.Before(to) {
			out = append(out, r)
		}
	}
	for member, entry := range live {
		if r, ok := parseRun(member, entry, ""); ok && r.Start.Before(to) {
			out = append(out, r)
		}
	}
	return out, nil
}

// parseRun reads a live entry, ended at end (unix ms; "" running).
func parseRun(member, entry, end string) (store.Run, bool) {
	key, ok := store.ParseKey(member)
	p := strings.SplitN(entry, "\t", 5)
	if !ok || len(p) != 5 {
		return store.Run{}, false
	}
	num := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	r := store.Run{Key: key, Start: time.UnixMilli(num(p[0])), CPUMilli: num(p[1]),
		MemoryBytes: num(p[2]), GPUs: int(num(p[3])), Image: p[4]}
	if end != "" {
		r.End = time.UnixMilli(num(end))
	}
	return r, true
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// Owners reads the namespaces' records in one pipeline.
func (s *Store) Owners(ctx context.Context, namespaces []string) (map[string]string, error) {
	keys := make([]string, len(namespaces))
	for i, ns := range namespaces {
		keys[i] = s.k.namespace(ns)
	}
	records, err := s.hgetAll(ctx, keys, "d")
	if err != nil {
		return nil, fmt.Errorf("read namespace owners: %w", err)
	}
	out := make(map[string]string, len(namespaces))
	for i, b := range records {
		if b == nil {
			continue
		}
		n, err := decodeNamespace(namespaces[i], b)
		if err != nil {
			return nil, err
		}
		out[n.Name] = n.Owner
	}
	return out, nil
}
