//! The Lua scripts that make each state change of a job one atomic step in
//! Redis. Every script names the keys it is given; a job's hash is reached
//! from its token and the `flash:job:` prefix, so these need one Redis (not
//! Redis Cluster, where every key must be declared).
//!
//! Job hash fields: `state` (1 queued, 2 processing, 3 done), `created`,
//! `started`, `finished` (unix ms), `request`, `result` (JSON), `status`,
//! `entry` (the id of the job's current stream entry), `worker`.

/// Stores a result and tells every server; shared by [`finish`] and [`reclaim`].
const STORE_RESULT: &str = r"
local function store_result(key, token, now, result, status, ttl, finished, stats, channel)
  redis.call('HSET', key, 'state', 3, 'finished', now, 'result', result, 'status', status)
  if tonumber(ttl) > 0 then
    redis.call('EXPIRE', key, ttl)
  end
  redis.call('ZADD', finished, now, token)
  redis.call('HINCRBY', stats, status, 1)
  redis.call('PUBLISH', channel, token)
end
";

/// Admission and enqueue in one step: fails, storing nothing, when a token
/// of the batch exists already (or comes twice in it), as the embedded
/// store's unique key does; refuses (0) when the waiting jobs (stream length
/// minus entries delivered and not yet acknowledged) plus the new ones would
/// exceed the maximum; otherwise adds every job (1).
///
/// KEYS: stream, index, seq. ARGV: group, max, job key prefix, then
/// (token, created, request) per job.
pub const ENQUEUE: &str = r"
local stream, index, seq = KEYS[1], KEYS[2], KEYS[3]
local group, max, jobp = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local n = (#ARGV - 3) / 3
local seen = {}
for i = 0, n - 1 do
  local token = ARGV[4 + 3 * i]
  if seen[token] or redis.call('EXISTS', jobp .. token) == 1 then
    return redis.error_reply('job ' .. token .. ' exists already')
  end
  seen[token] = true
end
local p = redis.pcall('XPENDING', stream, group)
if type(p) == 'table' and p.err then
  redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
  p = redis.call('XPENDING', stream, group)
end
if redis.call('XLEN', stream) - p[1] + n > max then
  return 0
end
for i = 0, n - 1 do
  local token = ARGV[4 + 3 * i]
  local id = redis.call('XADD', stream, '*', 'token', token)
  redis.call('HSET', jobp .. token, 'state', 1, 'created', ARGV[5 + 3 * i], 'request', ARGV[6 + 3 * i], 'entry', id)
  redis.call('ZADD', index, redis.call('INCR', seq), token)
end
return 1
";

/// A worker got stream entry `id`: marks the job Processing and returns its
/// fields, or drops the entry (false) when the job is finished, gone, or the
/// entry is stale (the job was handed back under a new entry).
///
/// KEYS: stream, job. ARGV: group, id, now, consumer.
pub const START: &str = r"
local state, entry = unpack(redis.call('HMGET', KEYS[2], 'state', 'entry'))
if not state or state == '3' or entry ~= ARGV[2] then
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
  redis.call('XDEL', KEYS[1], ARGV[2])
  return false
end
redis.call('HSET', KEYS[2], 'state', 2, 'started', ARGV[3], 'worker', ARGV[4])
return redis.call('HMGET', KEYS[2], 'state', 'created', 'started', 'finished', 'request', 'result')
";

/// Stores a result unless the job has one (first result wins: a re-run after
/// a reclaim cannot replace it), then acknowledges and deletes the worker's
/// entry, and the job's current one if that differs. Returns 1 when stored.
///
/// KEYS: stream, job, finished, stats. ARGV: group, the worker's entry id (or
/// ""), now, result, status, ttl, channel, token.
pub fn finish() -> String {
    format!(
        "{STORE_RESULT}{}",
        r"
local state, entry = unpack(redis.call('HMGET', KEYS[2], 'state', 'entry'))
local stored = 0
if state and state ~= '3' then
  store_result(KEYS[2], ARGV[8], ARGV[3], ARGV[4], ARGV[5], ARGV[6], KEYS[3], KEYS[4], ARGV[7])
  stored = 1
end
for _, id in ipairs({ARGV[2], entry}) do
  if id and id ~= '' then
    redis.call('XACK', KEYS[1], ARGV[1], id)
    redis.call('XDEL', KEYS[1], id)
  end
end
return stored
"
    )
}

/// Ends a queued or running job with the given result (its client went
/// away): stores it like [`finish`] does (but counts it under no status: no
/// worker judged it) and removes the job's entry from the stream, so no
/// worker reads it, and one that runs it finds a result already there.
/// Returns the state the job was in, or false when it was finished or gone.
///
/// KEYS and ARGV as [`finish`]'s (one caller builds both); `stats` and the
/// worker's entry id are not used.
pub const CANCEL: &str = r"
local state, entry = unpack(redis.call('HMGET', KEYS[2], 'state', 'entry'))
if not state or state == '3' then
  return false
end
redis.call('HSET', KEYS[2], 'state', 3, 'finished', ARGV[3], 'result', ARGV[4], 'status', ARGV[5])
if tonumber(ARGV[6]) > 0 then
  redis.call('EXPIRE', KEYS[2], ARGV[6])
end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[8])
if entry and entry ~= '' then
  redis.call('XACK', KEYS[1], ARGV[1], entry)
  redis.call('XDEL', KEYS[1], entry)
end
redis.call('PUBLISH', ARGV[7], ARGV[8])
return tonumber(state)
";

/// Claims one entry whose worker stopped refreshing it for `min_idle` ms.
/// Returns `{'claimed', id, token}`; or, when the entry was delivered more
/// than `max` times (each of its workers died), moves it to the dead-letter
/// stream, stores the Internal Error result and returns `{'dead', token}`;
/// or false when nothing is idle.
///
/// KEYS: stream, dead, finished, stats. ARGV: group, consumer, min_idle, max,
/// now, job key prefix, ttl, channel, result, status.
pub fn reclaim() -> String {
    format!(
        "{STORE_RESULT}{}",
        r"
local stream, group, me = KEYS[1], ARGV[1], ARGV[2]
local cursor = '0-0'
for _ = 1, 100 do
  local r = redis.call('XAUTOCLAIM', stream, group, me, ARGV[3], cursor, 'COUNT', 1)
  local e = r[2][1]
  if e and e[2] then
    local id, token = e[1], e[2][2]
    local n = redis.call('XPENDING', stream, group, id, id, 1)[1][4]
    if n <= tonumber(ARGV[4]) then
      return {'claimed', id, token}
    end
    redis.call('XACK', stream, group, id)
    redis.call('XDEL', stream, id)
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', 10000, '*', 'token', token, 'deliveries', n - 1, 'at', ARGV[5])
    local key = ARGV[6] .. token
    local state = redis.call('HGET', key, 'state')
    if state and state ~= '3' then
      store_result(key, token, ARGV[5], ARGV[9], ARGV[10], ARGV[7], KEYS[3], KEYS[4], ARGV[8])
    end
    return {'dead', token}
  end
  cursor = r[1]
  if cursor == '0-0' then
    return false
  end
end
return false
"
    )
}

/// Resets the idle time of entries this consumer still holds (a running job
/// is not reclaimed however long it runs), without stealing back an entry
/// another worker reclaimed meanwhile. Returns how many were refreshed.
///
/// KEYS: stream. ARGV: group, consumer, ids...
pub const TOUCH: &str = r"
local n = 0
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)[1]
  if p and p[2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    n = n + 1
  end
end
return n
";

/// Hands back an entry this consumer holds: the job goes back in the queue
/// under a new entry (unless it has a result). Returns 1 when requeued.
///
/// KEYS: stream. ARGV: group, consumer, id, job key prefix.
pub const HANDBACK: &str = r"
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)[1]
if not p or p[2] ~= ARGV[2] then
  return 0
end
local e = redis.call('XRANGE', KEYS[1], ARGV[3], ARGV[3])[1]
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
if not e then
  return 0
end
local token = e[2][2]
local key = ARGV[4] .. token
local state, entry = unpack(redis.call('HMGET', key, 'state', 'entry'))
if not state or state == '3' or entry ~= ARGV[3] then
  return 0
end
local id = redis.call('XADD', KEYS[1], '*', 'token', token)
redis.call('HSET', key, 'state', 1, 'entry', id)
redis.call('HDEL', key, 'started', 'worker')
return 1
";

/// Deletes a finished job; returns its fields (the caller sees whether it was
/// finished), or false when there is no such job.
///
/// KEYS: job, index, finished. ARGV: token.
pub const DELETE: &str = r"
local f = redis.call('HMGET', KEYS[1], 'state', 'created', 'started', 'finished', 'request', 'result')
if not f[1] then
  return false
end
if f[1] == '3' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
end
return f
";

/// Deletes up to 500 jobs finished before `before`; returns how many.
///
/// KEYS: finished, index. ARGV: before, job key prefix.
pub const EXPIRE: &str = r"
local t = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 500)
for _, token in ipairs(t) do
  redis.call('DEL', ARGV[2] .. token)
  redis.call('ZREM', KEYS[2], token)
end
if #t > 0 then
  redis.call('ZREM', KEYS[1], unpack(t))
end
return #t
";
