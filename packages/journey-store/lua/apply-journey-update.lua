-- The `lua` strategy: the whole read-modify-write of one update as one atomic script
-- (benchmarks and tests only; production uses WATCH/MULTI/EXEC with group commit).
-- KEYS[1] journey document, KEYS[2] its change stream, KEYS[3] its partition's change feed
-- ARGV[1] 'segmentStatus' | 'journeyStatus', ARGV[2] segment id ('' for journeyStatus),
-- ARGV[3] new status, ARGV[4] expected version ('' for none), ARGV[5] stream MAXLEN (approximate),
-- ARGV[6] journey id, ARGV[7] change list JSON, ARGV[8] committedAt
-- Returns {'committed', version} | {'journey-not-found'} | {'segment-not-found'} |
--         {'precondition-failed', currentVersion}
local stored = redis.call('GET', KEYS[1])
if stored == false then
  return {'journey-not-found'}
end
local journey = cjson.decode(stored)
if ARGV[4] ~= '' and tonumber(ARGV[4]) ~= journey.version then
  return {'precondition-failed', journey.version}
end

if ARGV[1] == 'journeyStatus' then
  journey.status = ARGV[3]
else
  local found = false
  for _, segment in ipairs(journey.segments) do
    if segment.segmentId == ARGV[2] then
      segment.status = ARGV[3]
      found = true
      break
    end
  end
  if not found then
    return {'segment-not-found'}
  end
end
journey.version = journey.version + 1

local encoded = cjson.encode(journey)
if next(journey.segments) == nil then
  -- cjson encodes an empty table as an object; `segments` is the document's only array.
  encoded = string.gsub(encoded, '"segments":{}', '"segments":[]')
end
redis.call('SET', KEYS[1], encoded)
for stream = 2, 3 do
  redis.call('XADD', KEYS[stream], 'MAXLEN', '~', ARGV[5], '*',
    'journeyId', ARGV[6], 'version', tostring(journey.version), 'changes', ARGV[7], 'committedAt', ARGV[8])
end
return {'committed', journey.version}
