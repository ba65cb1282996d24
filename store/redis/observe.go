package redis

import (
	"context"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// observer is a go-redis hook that times every command and pipeline.
type observer func(command string, d time.Duration, err error)

func (o observer) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (o observer) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		o(cmd.Name(), time.Since(start), failure(err))
		return err
	}
}

func (o observer) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		o("pipeline", time.Since(start), failure(err))
		return err
	}
}

// failure keeps the errors of Redis itself: a missing key is an answer.
func failure(err error) error {
	if errors.Is(err, goredis.Nil) {
		return nil
	}
	return err
}

var _ goredis.Hook = observer(nil)
