// Package redis is the production store: every replica keeps its shared
// state in one Redis, a Sentinel-managed Redis, or a Redis Cluster, through
// go-redis's UniversalClient. Keys are laid out for Redis Cluster: what one
// script touches shares a hash tag (see keys.go). Compare-and-set writes run
// as Lua scripts that also publish their invalidation, so a write and its
// announcement happen together or not at all.
package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spawnhub/spawnhub/store"
)

// Options says which Redis to use.
type Options struct {
	// Addrs is one address for a single Redis, several for a Cluster, or
	// the Sentinels' addresses with MasterName.
	Addrs      []string
	Password   string
	DB         int    // ignored by a Cluster
	MasterName string // the Sentinel master; empty without Sentinel
	// Prefix starts every key and channel, so that several installations
	// can share one Redis. It must not contain '{' or '}'.
	Prefix string
	// Observe, when set, is told how long each command (or pipeline)
	// took: the store's latency, for metrics.
	Observe func(command string, d time.Duration, err error)
}

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	var errs []error
	if len(o.Addrs) == 0 {
		errs = append(errs, errors.New("redis: no address"))
	}
	if strings.ContainsAny(o.Prefix, "{}") {
		errs = append(errs, fmt.Errorf("redis: prefix %q contains a brace, which would break hash tags", o.Prefix))
	}
	return errors.Join(errs...)
}

// Store is the Redis store. It is safe for concurrent use.
type Store struct {
	rdb  goredis.UniversalClient
	k    keys
	opts Options
	fan  fanout // shared subscriptions
}

var _ store.Store = (*Store)(nil)

// New connects to Redis and checks that it answers.
func New(ctx context.Context, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	rdb := goredis.NewUniversalClient(&goredis.UniversalOptions{
		Addrs:      opts.Addrs,
		Password:   opts.Password,
		DB:         opts.DB,
		MasterName: opts.MasterName,
		// No CLIENT SETINFO on connect: Redis before 7.2 refuses it, which
		// would count as a failed command in every new connection's timing.
		DisableIdentity: true,
	})
	if opts.Observe != nil {
		rdb.AddHook(observer(opts.Observe))
	}
	s := &Store{rdb: rdb, k: keys{prefix: opts.Prefix}, opts: opts}
	if err := s.Ping(ctx); err != nil {
		_ = rdb.Close()
		return nil, err
	}
	return s, nil
}

// Peer opens a second client on the same Redis with the same options, as
// another replica would. The caller closes it.
func (s *Store) Peer() (store.Store, error) { return New(context.Background(), s.opts) }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis %s: %w", strings.Join(s.opts.Addrs, ","), err)
	}
	return nil
}

// Close closes the client; subscriptions end with their contexts.
func (s *Store) Close() error {
	if err := s.rdb.Close(); err != nil {
		return fmt.Errorf("close redis client: %w", err)
	}
	return nil
}

// translate turns redis.Nil into store.ErrNotFound.
func translate(err error) error {
	if errors.Is(err, goredis.Nil) {
		return store.ErrNotFound
	}
	return err
}

// scriptResult maps the result of a compare-and-set script: 1 done,
// 0 version mismatch or taken, -1 missing.
func scriptResult(n int64, err error) error {
	switch {
	case err != nil:
		return err
	case n == 1:
		return nil
	case n == 0:
		return store.ErrConflict
	default:
		return store.ErrNotFound
	}
}
