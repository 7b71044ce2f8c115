-- diagkit evtx: Windows Event Log (.evtx) files as XML, JSON or JSON lines,
-- on any OS (issue 7). The records are written by the C core (file:export),
-- so this stays fast on big logs.

local cliargs = require "diagkit.cliargs"
local usage_error = cliargs.usage_error

local M = {}

M.summary = "Windows Event Log (.evtx) files as XML, JSON or JSON lines"
M.help = [[
Usage: diagkit evtx FILE... [--provider P] [--event-id N]... [--since T] [--until T]
                   [--format xml|json|jsonl] [--threads N] [--recover] [--xml] [-o FILE]
Prints the records of Windows Event Log (.evtx) files, in file order.
  --provider P        only records of this provider (Provider Name or EventSourceName, any case)
  --event-id N        only this event id; repeat it or give a list: --event-id 7031,7034
  --since T           only records at or after T: 2024-01-31, 2024-01-31T12:00:00Z, or 24h / 7d / 30m ago
  --until T           only records before T (same forms)
  --format FORMAT     xml (default; one <Event> per line, as wevtutil qe /f:xml prints),
                      json (one array) or jsonl (one JSON object per line; see docs/evtx-json.md)
  --xml               with json/jsonl: add each record's XML as "xml"
  --threads N         decode chunks on N threads (default 0 = one per CPU); output order is kept
  --recover           also print records recovered from the slack space of chunks ("recovered": true)
  --info              print what the file header says (JSON) instead of the records
  -o, --output FILE   write to FILE instead of standard output
Damaged chunks and records are skipped with a warning on stderr naming the chunk and file offset.
Exit status: 0 all read, 1 read with warnings (damaged data skipped), 2 a file could not be read,
64 usage error.
]]

local OPTIONS = {
  ["--provider"] = "provider", ["--since"] = "since", ["--until"] = "until",
  ["--format"] = "format", ["-f"] = "format", ["--threads"] = "threads", ["-j"] = "threads",
  ["--output"] = "output", ["-o"] = "output",
  ["--recover"] = true, ["--recover#"] = "recover",
  ["--xml"] = true, ["--xml#"] = "xml",
  ["--info"] = true, ["--info#"] = "info",
  ["--event-id"] = "event_id*",
}

local UNITS = { s = 1, m = 60, h = 3600, d = 86400, w = 7 * 86400 }

-- "2024-01-31", "2024-01-31T12:00:00Z", or a duration ago ("24h", "7d") -> ISO string.
function M.time_arg(evtx, name, s, now)
  local n, unit = s:match("^(%d+)([smhdw])$")
  if n then
    local unix = (now or os.time()) - tonumber(n) * UNITS[unit]
    return evtx.time(unix * 10000000 + 116444736000000000)
  end
  local ok, err = evtx.parse_time(s)
  if not ok then usage_error("%s: %s", name, err) end
  return s
end

-- The ids of every --event-id given (each may be a list: 7031,7034).
function M.event_ids(values)
  local ids = {}
  for _, v in ipairs(values or {}) do
    for item in (v .. ","):gmatch("([^,]*),") do
      local id = math.tointeger(tonumber(item))
      if not id or id < 0 or id > 65535 then
        usage_error("--event-id: '%s' is not an event id (0-65535)", item)
      end
      ids[#ids + 1] = id
    end
  end
  return ids
end

function M.run(args)
  local evtx = require "diagkit.evtx"
  local opts, files = cliargs.parse(args, 2, OPTIONS)
  local ids = M.event_ids(opts.event_id)
  if #files == 0 then usage_error("evtx needs at least one .evtx file (diagkit evtx --help)") end
  local format = opts.format or "xml"
  if format ~= "xml" and format ~= "json" and format ~= "jsonl" then
    usage_error("unknown format '%s' (xml, json, jsonl)", format)
  end
  local threads = 0
  if opts.threads then
    threads = math.tointeger(tonumber(opts.threads))
    if not threads or threads < 0 or threads > 64 then
      usage_error("--threads: '%s' is not a number of threads (0-64; 0 = one per CPU)", opts.threads)
    end
  end
  local filter = {
    format = format, threads = threads, recover = opts.recover or nil, xml = opts.xml or nil,
    provider = opts.provider, event_id = #ids > 0 and ids or nil,
    since = opts.since and M.time_arg(evtx, "--since", opts.since),
    ["until"] = opts["until"] and M.time_arg(evtx, "--until", opts["until"]),
  }
  local out = io.stdout
  if opts.output then
    local f, err = io.open(opts.output, "wb")
    if not f then usage_error("cannot write '%s': %s", opts.output, err) end
    out = f
  end
  local status = 0
  local json = require "diagkit.json"
  local written = 0
  if format == "json" and not opts.info then out:write("[") end
  for _, path in ipairs(files) do
    local f, err = evtx.open(path)
    if not f then
      io.stderr:write("diagkit evtx: ", err, "\n")
      status = 2
    elseif opts.info then
      local info = f:info()
      out:write(json.encode(info, { indent = "  " }), "\n")
      f:close()
    else
      filter.bare = format == "json"
      filter.written = written
      written = written + f:export(out, filter)
      for _, w in ipairs(f:warnings()) do
        io.stderr:write("diagkit evtx: ", path, ": ", w, "\n")
        if status == 0 then status = 1 end
      end
      f:close()
    end
  end
  if format == "json" and not opts.info then out:write(written > 0 and "\n]\n" or "]\n") end
  local ok, err
  if out ~= io.stdout then ok, err = out:close() else ok, err = out:flush() end
  if not ok then
    io.stderr:write("diagkit evtx: cannot write ", opts.output or "the output", ": ", tostring(err), "\n")
    return 74 -- EX_IOERR
  end
  return status
end

return M
