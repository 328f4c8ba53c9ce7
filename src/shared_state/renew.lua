-- Renews one lease of a call still running, if it is still held.
-- KEYS[1]: the user's leases; ARGV[1]: the lease id; ARGV[2]: its time to live (ms).
-- Returns 1 when renewed, 0 when the lease had already expired.
local lease_ttl = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local renewed = redis.call('ZADD', KEYS[1], 'XX', 'CH', string.format('%d', now + lease_ttl), ARGV[1])
if renewed == 1 then
  -- Every lease expires at most a time to live from now: so may the set.
  redis.call('PEXPIRE', KEYS[1], lease_ttl)
end
return renewed
