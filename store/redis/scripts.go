package redis

import goredis "github.com/redis/go-redis/v9"

// The scripts return 1 when done, 0 on a version mismatch or a taken name,
// and -1 when the record is missing (see scriptResult). Each touches only
// keys of one hash tag; PUBLISH is not bound to a slot.
var (
	// createVersioned: KEYS record [index set]; ARGV json channel msg [member].
	createVersioned = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', '1', 'd', ARGV[1])
if KEYS[2] then redis.call('SADD', KEYS[2], ARGV[4]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`)

	// updateVersioned: KEYS record; ARGV expected next json channel msg.
	updateVersioned = goredis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`)

	// deleteServer: KEYS record servers route events; ARGV version name
	// serversChannel routesChannel msg.
	deleteServer = goredis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[5])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`)

	// setPublish: KEYS key; ARGV value ttlMillis(0: none) channel msg.
	setPublish = goredis.NewScript(`
if ARGV[2] == '0' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`)

	// delPublish: KEYS key; ARGV channel msg.
	delPublish = goredis.NewScript(`
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1`)

	// acquireLease: KEYS lease; ARGV holder ttlMillis. 1 taken or renewed,
	// 0 held by another.
	acquireLease = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`)

	// releaseLease: KEYS lease; ARGV holder.
	releaseLease = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`)
)
