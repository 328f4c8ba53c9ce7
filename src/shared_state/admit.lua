-- One admission of one user's tool call, atomic and in one round trip: first the
-- concurrency leases, then the rate (GCRA). Times are Redis's own clock, in ms, so the
-- replicas' clocks never disagree.
-- KEYS[1]: the user's rate key (the theoretical arrival time of the next call).
-- KEYS[2]: the user's leases (a sorted set of lease ids, each scored by its expiry).
-- ARGV: ms between calls at the steady rate, calls allowed at once (the burst), calls
-- allowed to run at once, a lease's time to live (ms), the new lease's id.
-- Returns {0, 0} admitted (the lease is held), {1, wait_ms} over the rate, {2, 0} too
-- many calls running. A refusal changes nothing.
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_leases = tonumber(ARGV[3])
local lease_ttl = tonumber(ARGV[4])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- Leases of replicas that died (or calls that were never released) expire here.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= max_leases then
  return {2, 0}
end

local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local next_tat = tat + interval
local wait = next_tat - now - burst * interval
if wait > 0 then
  return {1, math.ceil(wait)}
end
-- At least 1 ms: at a rate of more than a call a millisecond the arrival time may round
-- to now, and Redis refuses an expiry of 0.
redis.call('SET', KEYS[1], string.format('%.3f', next_tat), 'PX', math.max(1, math.ceil(next_tat - now)))
redis.call('ZADD', KEYS[2], string.format('%d', now + lease_ttl), ARGV[5])
redis.call('PEXPIRE', KEYS[2], lease_ttl)
return {0, 0}
