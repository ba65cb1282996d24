package redis

import goredis "github.com/redis/go-redis/v9"

// indexServer replaces one server's entry of the administrators' index, in
// the {admin} slot: its summary, its places in the orders, its group's
// totals and, when a run ends, the run in the history. An update older than
// the indexed version is ignored (two replicas may index out of order).
//
// KEYS sums meta names started buckets live runs
// ARGV member version(0: delete) json meta bucket cpu mem gpus startedMember live endMs
//
// meta is "version\nbucket\ncpu\nmem\ngpus\nstartedMember\nlive"; live is
// "startMs\tcpu\tmem\tgpus\timage" while the server runs; a run in the
// history is "member\t<live>\tendMs", scored by its end.
var indexServer = goredis.NewScript(`
local m = ARGV[1]
local function neg(x) if x == '0' then return x end return '-' .. x end
local old = redis.call('HGET', KEYS[2], m)
local f = {'0', '', '0', '0', '0', '', ''}
if old then
  local i = 1
  for p in (old .. '\n'):gmatch('(.-)\n') do f[i] = p; i = i + 1 end
end
if ARGV[2] ~= '0' and tonumber(ARGV[2]) <= tonumber(f[1]) then return 0 end
if f[2] ~= '' then
  local n = redis.call('HINCRBY', KEYS[5], f[2] .. '|n', -1)
  if n <= 0 then
    redis.call('HDEL', KEYS[5], f[2] .. '|n', f[2] .. '|cpu', f[2] .. '|mem', f[2] .. '|gpu')
  else
    redis.call('HINCRBY', KEYS[5], f[2] .. '|cpu', neg(f[3]))
    redis.call('HINCRBY', KEYS[5], f[2] .. '|mem', neg(f[4]))
    redis.call('HINCRBY', KEYS[5], f[2] .. '|gpu', neg(f[5]))
  end
end
if f[6] ~= '' then redis.call('ZREM', KEYS[4], f[6]) end
if f[7] ~= '' and f[7] ~= ARGV[10] then
  redis.call('ZADD', KEYS[7], ARGV[11], m .. '\t' .. f[7] .. '\t' .. ARGV[11])
end
if ARGV[2] == '0' then
  redis.call('HDEL', KEYS[1], m)
  redis.call('HDEL', KEYS[2], m)
  redis.call('HDEL', KEYS[6], m)
  redis.call('ZREM', KEYS[3], m)
  return 1
end
redis.call('HSET', KEYS[1], m, ARGV[3])
redis.call('HSET', KEYS[2], m, ARGV[4])
redis.call('ZADD', KEYS[3], 0, m)
redis.call('ZADD', KEYS[4], 0, ARGV[9])
redis.call('HINCRBY', KEYS[5], ARGV[5] .. '|n', 1)
redis.call('HINCRBY', KEYS[5], ARGV[5] .. '|cpu', ARGV[6])
redis.call('HINCRBY', KEYS[5], ARGV[5] .. '|mem', ARGV[7])
redis.call('HINCRBY', KEYS[5], ARGV[5] .. '|gpu', ARGV[8])
if ARGV[10] ~= '' then
  redis.call('HSET', KEYS[6], m, ARGV[10])
else
  redis.call('HDEL', KEYS[6], m)
end
return 1`)
