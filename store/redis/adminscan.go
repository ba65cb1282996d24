package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/store"
)

// ScanServers reads one range of an order (a sorted set) and the summaries
// of what it names (one HMGET): a page costs two round trips whatever the
// number of servers. Entries whose record is gone are skipped, and read
// past, so that fewer than req.Count means the end.
func (s *Store) ScanServers(ctx context.Context, req store.Scan) ([]store.Summary, error) {
	var out []store.Summary
	for len(out) < req.Count {
		part := req
		part.Count = req.Count - len(out)
		members, cursors, err := s.scanOrder(ctx, part)
		if err != nil {
			return nil, err
		}
		sums, err := s.summaries(ctx, members, cursors)
		if err != nil {
			return nil, err
		}
		out = append(out, sums...)
		if len(members) < part.Count {
			break
		}
		req.After = cursors[len(cursors)-1]
	}
	return out, nil
}

// scanOrder reads the members and cursors of one range of an order.
func (s *Store) scanOrder(ctx context.Context, req store.Scan) (members, cursors []string, err error) {
	switch req.Order {
	case store.OrderActivity:
		return s.scanActivity(ctx, req)
	case store.OrderStarted:
		cursors, err = s.scanLex(ctx, s.k.admin("started"), req)
		members = make([]string, len(cursors))
		for i, c := range cursors {
			_, members[i], _ = strings.Cut(c, "|")
		}
		return members, cursors, err
	}
	cursors, err = s.scanLex(ctx, s.k.admin("names"), req)
	return cursors, cursors, err
}

// lexBounds are the ends of a lexical range: everything, or the members
// "<ns>/…" of one namespace ('0' follows '/').
func lexBounds(ns string) (lo, hi string) {
	if ns == "" {
		return "-", "+"
	}
	return "[" + ns + "/", "(" + ns + "0"
}

// scanLex reads the members after req.After of a sorted set whose members
// all score 0, in lexical order.
func (s *Store) scanLex(ctx context.Context, key string, req store.Scan) ([]string, error) {
	ns := ""
	if req.Order == store.OrderName {
		ns = req.Namespace
	}
	lo, hi := lexBounds(ns)
	if req.After != "" && req.Desc {
		hi = "(" + req.After
	} else if req.After != "" {
		lo = "(" + req.After
	}
	args := goredis.ZRangeArgs{Key: key, Start: lo, Stop: hi, ByLex: true, Count: int64(req.Count)}
	if req.Desc {
		args.Rev, args.Start, args.Stop = true, hi, lo
	}
	out, err := s.rdb.ZRangeArgs(ctx, args).Result()
	if err != nil {
		return nil, fmt.Errorf("scan servers by %s: %w", req.Order, err)
	}
	return out, nil
}

// scanActivity reads the activity set by time from the cursor "ms|key":
// members of the cursor's millisecond up to the cursor's key are dropped,
// reading further while a whole range is dropped.
func (s *Store) scanActivity(ctx context.Context, req store.Scan) (members, cursors []string, err error) {
	lo, hi := "-inf", "+inf"
	if !req.ActiveBefore.IsZero() && !req.Desc {
		hi = "(" + ms(req.ActiveBefore)
	}
	atMS, atKey, resume := strings.Cut(req.After, "|")
	if resume {
		if req.Desc {
			hi = atMS
		} else {
			lo = atMS
		}
	}
	for offset := int64(0); len(members) < req.Count; {
		args := goredis.ZRangeArgs{Key: s.k.activity(), Start: lo, Stop: hi, ByScore: true,
			Offset: offset, Count: int64(req.Count - len(members))}
		if req.Desc {
			args.Rev, args.Start, args.Stop = true, hi, lo
		}
		zs, err := s.rdb.ZRangeArgsWithScores(ctx, args).Result()
		if err != nil {
			return nil, nil, fmt.Errorf("scan servers by activity: %w", err)
		}
		for _, z := range zs {
			m, _ := z.Member.(string)
			score := strconv.FormatInt(int64(z.Score), 10)
			if resume && score == atMS && ((!req.Desc && m <= atKey) || (req.Desc && m >= atKey)) {
				continue
			}
			members, cursors = append(members, m), append(cursors, score+"|"+m)
		}
		if len(zs) < int(args.Count) {
			break
		}
		offset += int64(len(zs))
	}
	return members, cursors, nil
}

// summaries reads the summaries of members, skipping those gone since.
func (s *Store) summaries(ctx context.Context, members, cursors []string) ([]store.Summary, error) {
	if len(members) == 0 {
		return nil, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.k.admin("sums"), members...).Result()
	if err != nil {
		return nil, fmt.Errorf("read server summaries: %w", err)
	}
	out := make([]store.Summary, 0, len(vals))
	for i, v := range vals {
		b, ok := v.(string)
		if !ok {
			continue // deleted, or never indexed
		}
		var sum store.Summary
		if err := json.Unmarshal([]byte(b), &sum); err != nil {
			return nil, fmt.Errorf("decode summary of %s: %w", members[i], err)
		}
		sum.Cursor = cursors[i]
		out = append(out, sum)
	}
	return out, nil
}
