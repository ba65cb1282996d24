package redis

import goredis "github.com/redis/go-redis/v9"

// The queue scripts work on the keys of one backend's queue, which share
// the hash tag {q:<backend>} and so one Cluster slot. KEYS[1] is the
// queue's sequence key and routes the script to that slot; ARGV[1] is the
// common start of the queue's keys, to which each script appends:
//
//	seq            counter: the place of the next entry
//	pool           hash Key.String() → pool, for every entry
//	place          hash Key.String() → its place (seq)
//	holder         hash Key.String() → the replica holding its claim
//	pools          set of pools with entries
//	wait:<pool>    sorted set: waiting Key.String() by place
//	run:<pool>     sorted set: claimed Key.String() by end of claim, unix ms
//	run            the same across pools
//	stats          hash <pool>:n, <pool>:mean (ms): recent start times
//
// Claims end by Redis's own clock (TIME), so that the replicas' clocks do
// not matter.
const queueLib = `
local function nowMillis()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function unclaim(b, k)
  local pool = redis.call('HGET', b..'pool', k)
  redis.call('ZREM', b..'run', k)
  redis.call('HDEL', b..'holder', k)
  if pool then
    redis.call('ZREM', b..'run:'..pool, k)
    redis.call('ZADD', b..'wait:'..pool, redis.call('HGET', b..'place', k), k)
  end
end
local function expire(b, now)
  for _, k in ipairs(redis.call('ZRANGEBYSCORE', b..'run', '-inf', now)) do
    unclaim(b, k)
  end
end
`

var (
	// enqueueScript: ARGV base key pool channel backend. 1 added, 0 there.
	enqueueScript = goredis.NewScript(queueLib + `
local b, k, pool = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HEXISTS', b..'pool', k) == 1 then return 0 end
local seq = redis.call('INCR', b..'seq')
redis.call('HSET', b..'pool', k, pool)
redis.call('HSET', b..'place', k, seq)
redis.call('ZADD', b..'wait:'..pool, seq, k)
redis.call('SADD', b..'pools', pool)
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`)

	// claimScript: ARGV base holder n poolLimit backendLimit ttlMillis.
	// Returns pool, key, pool, key… of the entries claimed.
	claimScript = goredis.NewScript(queueLib + `
local b, holder = ARGV[1], ARGV[2]
local n, poolLimit, backendLimit, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local now = nowMillis()
expire(b, now)
local out = {}
local running = redis.call('ZCARD', b..'run')
local pools = redis.call('SMEMBERS', b..'pools')
while #out < 2 * n and (backendLimit == 0 or running < backendLimit) do
  local best, bestPlace, bestPool
  for _, pool in ipairs(pools) do
    if poolLimit == 0 or redis.call('ZCARD', b..'run:'..pool) < poolLimit then
      local head = redis.call('ZRANGE', b..'wait:'..pool, 0, 0, 'WITHSCORES')
      if head[1] and (not bestPlace or tonumber(head[2]) < bestPlace) then
        best, bestPlace, bestPool = head[1], tonumber(head[2]), pool
      end
    end
  end
  if not best then break end
  redis.call('ZREM', b..'wait:'..bestPool, best)
  redis.call('ZADD', b..'run', now + ttl, best)
  redis.call('ZADD', b..'run:'..bestPool, now + ttl, best)
  redis.call('HSET', b..'holder', best, holder)
  table.insert(out, bestPool)
  table.insert(out, best)
  running = running + 1
end
return out`)

	// renewScript: ARGV base holder ttlMillis key… Returns the keys lost.
	renewScript = goredis.NewScript(queueLib + `
local b, holder = ARGV[1], ARGV[2]
local now = nowMillis()
expire(b, now)
local lost = {}
for i = 4, #ARGV do
  local k = ARGV[i]
  if redis.call('HGET', b..'holder', k) == holder then
    local deadline = now + tonumber(ARGV[3])
    redis.call('ZADD', b..'run', deadline, k)
    redis.call('ZADD', b..'run:'..redis.call('HGET', b..'pool', k), deadline, k)
  else
    table.insert(lost, k)
  end
end
return lost`)

	// releaseScript: ARGV base holder key channel backend.
	releaseScript = goredis.NewScript(queueLib + `
local b, k = ARGV[1], ARGV[3]
if redis.call('HGET', b..'holder', k) == ARGV[2] then unclaim(b, k) end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`)

	// finishScript: ARGV base key tookMillis channel backend.
	finishScript = goredis.NewScript(queueLib + `
local b, k, took = ARGV[1], ARGV[2], tonumber(ARGV[3])
local pool = redis.call('HGET', b..'pool', k)
if not pool then return 0 end
redis.call('ZREM', b..'wait:'..pool, k)
redis.call('ZREM', b..'run:'..pool, k)
redis.call('ZREM', b..'run', k)
redis.call('HDEL', b..'pool', k)
redis.call('HDEL', b..'place', k)
redis.call('HDEL', b..'holder', k)
if took > 0 then
  local n = math.min(tonumber(redis.call('HGET', b..'stats', pool..':n') or '0') + 1, 20)
  local mean = tonumber(redis.call('HGET', b..'stats', pool..':mean') or '0')
  redis.call('HSET', b..'stats', pool..':n', n, pool..':mean', tostring(mean + (took - mean) / n))
end
if redis.call('ZCARD', b..'wait:'..pool) == 0 and redis.call('ZCARD', b..'run:'..pool) == 0 then
  redis.call('SREM', b..'pools', pool)
end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`)

	// placeScript: ARGV base key. Returns nil when key is not queued, or
	// pool, position (0 when claimed), in flight in the pool, mean ms.
	placeScript = goredis.NewScript(queueLib + `
local b, k = ARGV[1], ARGV[2]
expire(b, nowMillis())
local pool = redis.call('HGET', b..'pool', k)
if not pool then return false end
local rank = redis.call('ZRANK', b..'wait:'..pool, k)
local pos = 0
if rank then pos = rank + 1 end
return {pool, pos, redis.call('ZCARD', b..'run:'..pool), redis.call('HGET', b..'stats', pool..':mean') or '0'}`)

	// viewScript: ARGV base. Returns pool, waiting keys, claimed keys, mean
	// ms, for each pool.
	viewScript = goredis.NewScript(queueLib + `
local b = ARGV[1]
expire(b, nowMillis())
local out = {}
for _, pool in ipairs(redis.call('SMEMBERS', b..'pools')) do
  table.insert(out, pool)
  table.insert(out, redis.call('ZRANGE', b..'wait:'..pool, 0, -1))
  table.insert(out, redis.call('ZRANGE', b..'run:'..pool, 0, -1))
  table.insert(out, redis.call('HGET', b..'stats', pool..':mean') or '0')
end
return out`)
)
