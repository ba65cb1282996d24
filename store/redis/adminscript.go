package redis

import goredis "github.com/redis/go-redis/v9"

// indexServer replaces one server's entry of the administrators' index, in
// the {admin} slot: its summary, its places in the orders, its group's
// totals and, when a run ends, the run in the history. An update older than
// the indexed version is ignored (two replicas may index out of order).
//
// KEYS sums meta names started buckets live runs nsBuckets
// ARGV member version(0: delete) json meta bucket cpu mem gpus startedMember live endMs
//
// buckets holds the fleet's totals by group (phase, kind, image, GPU) and
// nsBuckets the namespace's, so that totals read a few groups, not every
// server. meta is "version\nbucket\ncpu\nmem\ngpus\nstartedMember\nlive"; live is
// "startMs\tcpu\tmem\tgpus\timage" while the server runs; a run in the
// history is "member\t<live>\tendMs", scored by its end.
var indexServer = goredis.NewScript(`
local m = ARGV[1]
local function neg(x) if x == '0' then return x end return '-' .. x end
local function drop(key, g, cpu, mem, gpu)
  if redis.call('HINCRBY', key, g .. '|n', -1) <= 0 then
    redis.call('HDEL', key, g .. '|n', g .. '|cpu', g .. '|mem', g .. '|gpu')
    return
  end
  redis.call('HINCRBY', key, g .. '|cpu', neg(cpu))
  redis.call('HINCRBY', key, g .. '|mem', neg(mem))
  redis.call('HINCRBY', key, g .. '|gpu', neg(gpu))
end
local function add(key, g, cpu, mem, gpu)
  redis.call('HINCRBY', key, g .. '|n', 1)
  redis.call('HINCRBY', key, g .. '|cpu', cpu)
  redis.call('HINCRBY', key, g .. '|mem', mem)
  redis.call('HINCRBY', key, g .. '|gpu', gpu)
end
local old = redis.call('HGET', KEYS[2], m)
local f = {'0', '', '0', '0', '0', '', ''}
if old then
  local i = 1
  for p in (old .. '\n'):gmatch('(.-)\n') do f[i] = p; i = i + 1 end
end
if ARGV[2] ~= '0' and tonumber(ARGV[2]) <= tonumber(f[1]) then return 0 end
if f[2] ~= '' then
  drop(KEYS[5], f[2], f[3], f[4], f[5])
  drop(KEYS[8], f[2], f[3], f[4], f[5])
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
add(KEYS[5], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
add(KEYS[8], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
if ARGV[10] ~= '' then
  redis.call('HSET', KEYS[6], m, ARGV[10])
else
  redis.call('HDEL', KEYS[6], m)
end
return 1`)
