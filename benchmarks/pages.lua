-- wrk script for the pages benchmark (benchmarks/pages.py): `wrk -s pages.lua ... -- PATHS_FILE`.
-- Each request takes the next path from PATHS_FILE (one per line, e.g. a rotating set of customer profiles),
-- each thread starting at its own place; done() prints one line, "PAGES_RESULT {json}", that the bench reads,
-- so it never parses wrk's human-readable report. Latencies are in microseconds.

local threads = {}
local paths = {}
local next_index = 1

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open the paths file " .. tostring(args[1]))
  for line in file:lines() do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  file:close()
  assert(#paths > 0, "the paths file is empty")
  -- Each thread runs in a Lua state of its own (setup's `threads` is not visible here): threads start at
  -- different places, so they do not all ask for the same page at the same moment.
  next_index = ((thread_number or 1) - 1) * 97 % #paths + 1
end

function request()
  local path = paths[next_index]
  next_index = next_index % #paths + 1
  return wrk.format(nil, path)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'PAGES_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "mean_us": %.1f, "connect_errors": %d, "read_errors": %d, "write_errors": %d, '
      .. '"status_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout
  ))
end
