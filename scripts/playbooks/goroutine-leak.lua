-- goroutine-leak: compare two or more goroutine dumps of the same program
-- (crash output, SIGQUIT dumps, or /debug/pprof/goroutine?debug=2 saved to
-- files) and report the stacks whose goroutine count grows: how many, how
-- fast, and where they block.

local files = require "diagkit.files"
local progress = require "diagkit.progress"

local function read(path)
  if path == "-" then return nil, "a dump must be a file, not stdin" end
  return progress.read_file(path, "goroutine-leak: reading " .. path)
end

-- A bucket's identity across dumps: state and frames (function, file, line).
local function signature(b)
  local parts = { b.state }
  for _, f in ipairs(b.frames) do parts[#parts + 1] = string.format("%s@%s:%d", f.func, f.file, f.line or 0) end
  if b.created_by then parts[#parts + 1] = "created by " .. b.created_by.func end
  return table.concat(parts, "|")
end

return diagkit.playbook {
  id = "goroutine-leak",
  title = "Find leaking goroutines by comparing goroutine dumps taken over time",
  summary = "Parses two or more goroutine dumps of one program (crash output, SIGQUIT, or"
    .. " /debug/pprof/goroutine?debug=2 saved to files, oldest first), groups goroutines by identical"
    .. " stack and reports the groups that grow: by how much, how fast, and where they block.",
  symptoms = { "memory-growth", "hang", "slow" },
  tags = { "go", "linux", "windows", "offline" },
  params = {
    dump = { type = "list", required = true, help = "goroutine dump files, oldest first (-p dump=a.txt,b.txt)" },
    module = { type = "string", help = "import path of your module, so its packages count as your code" },
    min_growth = { type = "int", default = 1, min = 1, help = "ignore stacks that grew by fewer goroutines" },
  },
  examples = {
    "curl -s localhost:6060/debug/pprof/goroutine?debug=2 > g1.txt; sleep 60; curl -s ... > g2.txt;"
      .. " diagkit run goroutine-leak -p dump=g1.txt,g2.txt",
  },
  run = function(ctx, p)
    if #p.dump < 2 then
      error("goroutine-leak needs at least two dumps (-p dump=first.txt,second.txt)", 0)
    end
    local snaps = {}
    local bar = progress.new { label = "goroutine-leak: dumps", total = #p.dump }
    for i, path in ipairs(p.dump) do
      bar:update(i - 1, path)
      local text, err = read(path)
      if not text then
        bar:done()
        ctx:unknown(string.format("cannot read %s: %s", path, tostring(err)))
        return
      end
      local g = ctx.gocrash.parse(text, { module = p.module, goroutines = false })
      if g.goroutine_count == 0 then
        ctx:unknown(string.format("%s holds no goroutine dump", path))
        return
      end
      local by = {}
      for _, b in ipairs(g.buckets) do by[signature(b)] = b end
      snaps[i] = { path = path, total = g.goroutine_count, by = by, time = files.mtime(path), truncated = g.truncated }
      if g.truncated then
        ctx:finding { id = "goroutine-leak.truncated", severity = "warning",
          title = string.format("%s is cut short at line %d", path, g.stopped.line),
          detail = g.stopped.reason, evidence = { { kind = "file", value = path } } }
      end
    end
    bar:done()
    local first, last = snaps[1], snaps[#snaps]
    local totals = {}
    for i, s in ipairs(snaps) do totals[i] = s.total end
    ctx:fact("goroutine_totals", totals)
    local span_s = (first.time and last.time and last.time > first.time) and (last.time - first.time) or nil

    -- every signature seen in the last dump, with its count in each dump
    local grew, buckets = {}, {}
    for sig, b in pairs(last.by) do
      local counts, monotonic = {}, true
      for i, s in ipairs(snaps) do
        counts[i] = s.by[sig] and s.by[sig].count or 0
        if i > 1 and counts[i] < counts[i - 1] then monotonic = false end
      end
      local top = b.first_user_frame or b.frames[1]
      buckets[#buckets + 1] = { state = b.state, counts = counts, frame = top and string.format("%s %s:%d",
        top.func, top.file:match("[^/\\]+$") or top.file, top.line or 0) or "?" }
      local growth = counts[#counts] - counts[1]
      -- a running goroutine is the one taking the dump (or busy), not a leak
      if growth >= p.min_growth and b.state ~= "running" then
        grew[#grew + 1] = { b = b, counts = counts, growth = growth, monotonic = monotonic }
      end
    end
    table.sort(grew, function(x, y) return x.growth > y.growth end)
    -- the largest stacks of the last dump with their count in each dump (the HTML report's bar chart)
    table.sort(buckets, function(x, y)
      if x.counts[#x.counts] ~= y.counts[#y.counts] then return x.counts[#x.counts] > y.counts[#y.counts] end
      return x.frame < y.frame
    end)
    for i = #buckets, 21, -1 do buckets[i] = nil end
    ctx:fact("goroutine_buckets", buckets)

    if #grew == 0 then
      ctx:finding { id = "goroutine-leak.none", severity = "info",
        title = string.format("No stack grew: %d goroutines, then %d", first.total, last.total),
        detail = "Take the dumps further apart in time, under load, if a leak is suspected.",
        evidence = { { kind = "totals", value = table.concat(totals, " -> ") } } }
      return
    end
    for _, x in ipairs(grew) do
      local b = x.b
      local f = b.first_user_frame or b.frames[1]
      local rate = span_s and string.format(", %.1f per minute over %d s", x.growth * 60 / span_s, span_s)
        or string.format(", +%.1f per dump", x.growth / (#snaps - 1))
      local blocked = b.state ~= "running" and b.state ~= "runnable"
      ctx:finding {
        id = "goroutine-leak.growing", severity = (x.monotonic and blocked) and "warning" or "info",
        title = string.format("Goroutines %s %s at %s grew from %d to %d%s",
          blocked and "blocked in" or "in state", b.state,
          f and string.format("%s:%d", f.file:match("[^/\\]+$") or f.file, f.line or 0) or "?",
          x.counts[1], x.counts[#x.counts], rate),
        detail = string.format("Stack: %s%s. Counts per dump: %s.%s", f and f.func or "?",
          b.created_by and (", created by " .. b.created_by.func .. (b.created_by.file and string.format(" at %s:%d",
            b.created_by.file, b.created_by.line or 0) or "")) or "",
          table.concat(x.counts, " -> "),
          x.monotonic and "" or " The count went down in between, so this may be load rather than a leak."),
        evidence = { { kind = "bucket", value = { counts = table.concat(x.counts, " -> "), state = b.state,
          frame = f and string.format("%s:%d %s", f.file, f.line or 0, f.func) or nil }, source = last.path } },
        remedy = "Every goroutine needs a way to end: a receiver for each send (or a buffered channel), a"
          .. " close or context cancellation for each receive, and timeouts on network calls. Pass a"
          .. " context.Context and select on ctx.Done() next to the blocking operation at this line.",
      }
    end
    ctx:finding { id = "goroutine-leak.total", severity = "info",
      title = string.format("Goroutines in total: %s", table.concat(totals, " -> ")),
      evidence = { { kind = "dumps", value = table.concat(p.dump, ", ") } } }
  end,
}
