-- Creates a journey unless one with that id exists, and appends its `created` event in the same
-- atomic step (the outbox). Both keys carry the journey's hash tag (one Redis Cluster slot).
-- KEYS[1] journey document, KEYS[2] its change stream
-- ARGV[1] document JSON, ARGV[2] stream MAXLEN (approximate), ARGV[3..] change-event fields
-- Returns 1 when created, 0 when the journey already exists.
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then
  return 0
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
return 1
