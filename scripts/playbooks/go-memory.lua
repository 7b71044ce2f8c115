-- go-memory: read GODEBUG=gctrace=1 output and say where the heap is going:
-- the growth trend of the live heap, the share of CPU the GC takes, and
-- whether the heap goal approaches the memory limits of the place where the
-- program runs (cgroup memory.max, ulimit -v, GOMEMLIMIT).

local MB = 1024 * 1024

local files = require "diagkit.files"
local goinput = require "diagkit.goinput"
local progress = require "diagkit.progress"

-- Memory limits of this machine/container, in MB, with where each came from.
local function limits(gomemlimit_env)
  local out = {}
  local v2 = files.first_line("/sys/fs/cgroup/memory.max")
  if v2 and v2:match("^%d+$") then
    out[#out + 1] = { name = "cgroup memory.max", mb = tonumber(v2) / MB, source = "/sys/fs/cgroup/memory.max" }
  else
    local v1 = files.first_line("/sys/fs/cgroup/memory/memory.limit_in_bytes")
    local n = v1 and tonumber(v1)
    if n and n < 2 ^ 60 then
      out[#out + 1] = { name = "cgroup v1 memory limit", mb = n / MB, source = "/sys/fs/cgroup/memory/memory.limit_in_bytes" }
    end
  end
  files.each_line("/proc/self/limits", function(line)
    local soft = line:match("^Max address space%s+(%S+)")
    if soft and soft:match("^%d+$") then
      out[#out + 1] = { name = "ulimit -v (address space)", mb = tonumber(soft) / MB, source = "/proc/self/limits",
        virtual = true }
    end
  end)
  if gomemlimit_env and gomemlimit_env ~= "" and gomemlimit_env ~= "off" then
    local n, unit = gomemlimit_env:match("^(%d+)(%a*)$")
    local mult = ({ [""] = 1, B = 1, KiB = 1024, MiB = MB, GiB = MB * 1024, TiB = MB * MB })[unit]
    if n and mult then
      out[#out + 1] = { name = "GOMEMLIMIT", mb = tonumber(n) * mult / MB, source = "environment", soft = true }
    end
  end
  return out
end

-- Least-squares slope of y over x.
local function slope(xs, ys)
  local n = #xs
  if n < 2 then return nil end
  local sx, sy, sxx, sxy = 0, 0, 0, 0
  for i = 1, n do
    sx, sy = sx + xs[i], sy + ys[i]
    sxx, sxy = sxx + xs[i] * xs[i], sxy + xs[i] * ys[i]
  end
  local d = n * sxx - sx * sx
  if d == 0 then return nil end
  return (n * sxy - sx * sy) / d
end

local function analyse(ctx, p, text, source)
  local g = progress.busy("go-memory: parsing " .. source, ctx.gocrash.parse, text, { goroutines = false })
  local gc = g.gc
  if #gc == 0 then
    ctx:unknown(string.format("no gctrace lines ('gc N @...s N%%: ...') in %s; run the program with GODEBUG=gctrace=1", source))
    return
  end
  local xs, live, goals = {}, {}, {}
  local max_goal, max_end = 0, 0
  for i, e in ipairs(gc) do
    xs[i], live[i] = e.at, e.heap_live_mb
    goals[i] = e.goal_mb or 0
    if (e.goal_mb or 0) > max_goal then max_goal = e.goal_mb end
    if e.heap_end_mb > max_end then max_end = e.heap_end_mb end
  end
  local first, last = gc[1], gc[#gc]
  local dur = last.at - first.at
  local rate = slope(xs, live) -- MB per second
  -- the heap over time (the HTML report's line chart), at most 500 points
  local series, step = { at_s = {}, live_mb = {}, goal_mb = {} }, math.max(1, math.ceil(#gc / 500))
  for i = 1, #gc, step do
    local at = #series.at_s + 1
    series.at_s[at], series.live_mb[at], series.goal_mb[at] = xs[i], live[i], gc[i].goal_mb
    if not gc[i].goal_mb then series.no_goal = true end
  end
  if series.no_goal then series.goal_mb, series.no_goal = nil, nil end -- old gctrace lines have no goal
  ctx:fact("gc_series", series)
  ctx:fact("gc", { cycles = #gc, seconds = dur, live_first_mb = first.heap_live_mb, live_last_mb = last.heap_live_mb,
    max_goal_mb = max_goal, max_heap_mb = max_end, gc_cpu_percent = last.cpu_percent,
    live_growth_mb_per_s = rate, forced = (function() local n = 0 for _, e in ipairs(gc) do if e.forced then n = n + 1 end end return n end)() })

  local evidence = {
    { kind = "log", value = string.format("gc %d @%gs: %d->%d->%d MB, %s MB goal", first.n, first.at,
        first.heap_start_mb, first.heap_end_mb, first.heap_live_mb, tostring(first.goal_mb)), source = source, line = first.line },
    { kind = "log", value = string.format("gc %d @%gs: %d->%d->%d MB, %s MB goal", last.n, last.at,
        last.heap_start_mb, last.heap_end_mb, last.heap_live_mb, tostring(last.goal_mb)), source = source, line = last.line },
  }
  local growth = last.heap_live_mb - first.heap_live_mb
  local growing = #gc >= 3 and rate and rate > 0 and growth >= math.max(2, first.heap_live_mb * 0.5)
  ctx:finding {
    id = growing and "go.memory.heap-growing" or "go.memory.heap-trend", severity = growing and "warning" or "info",
    title = growing
      and string.format("Live heap grows steadily: %d MB -> %d MB over %d GC cycles (%.1f MB/s)", first.heap_live_mb,
        last.heap_live_mb, #gc, rate)
      or string.format("Live heap %d MB -> %d MB over %d GC cycles in %.2f s", first.heap_live_mb, last.heap_live_mb, #gc, dur),
    detail = string.format("Live heap after each GC (the third heap number) %s; peak heap %d MB, largest goal %d MB.",
      growing and "keeps rising: memory is retained, not just allocated" or "is the part the program keeps",
      max_end, max_goal),
    evidence = evidence,
    remedy = growing and ("Something keeps references: a growing cache, map or slice, goroutines that never end"
      .. " (see `diagkit run goroutine-leak`), or timers/tickers not stopped. Take two heap profiles"
      .. " (go tool pprof -diff_base) to see which allocation site grows.") or nil,
  }

  local cpu = last.cpu_percent or 0
  ctx:finding {
    id = "go.memory.gc-cpu", severity = cpu >= 25 and "warning" or "info",
    title = string.format("The GC has used %d%% of the CPU time since the program started", cpu),
    detail = cpu >= 25 and "A GC share this high means the heap goal is too close to the live heap: GOGC or"
      .. " GOMEMLIMIT forces frequent collections, or the program allocates very fast."
      or "A normal share.",
    evidence = { { kind = "log", value = string.format("gc %d @%gs %d%%", last.n, last.at, cpu), source = source, line = last.line } },
    remedy = cpu >= 25 and "Reduce allocation (reuse buffers, sync.Pool), raise GOGC, or raise the memory limit if"
      .. " GOMEMLIMIT is close to the live heap." or nil,
  }

  local lims = limits(p.gomemlimit or os.getenv("GOMEMLIMIT"))
  if p.limit_mb then lims[#lims + 1] = { name = "given limit", mb = p.limit_mb, source = "-p limit_mb" } end
  ctx:fact("memory_limits", lims)
  for _, l in ipairs(lims) do
    local peak = math.max(max_goal, max_end)
    local share = peak / l.mb
    local sev = share >= 0.8 and "warning" or "info"
    if l.virtual then
      -- the Go runtime reserves address space well beyond the heap
      sev = (share >= 0.3 or l.mb < 1024) and "warning" or "info"
    end
    ctx:finding {
      id = "go.memory.limit", severity = sev,
      title = string.format("Heap goal peak %d MB against %s of %.0f MB (%d%%)", peak, l.name, l.mb, math.floor(share * 100 + 0.5)),
      detail = l.virtual and ("ulimit -v limits address space, and the Go runtime reserves far more address space"
          .. " than its heap (arenas, page summaries): it can fail with 'out of memory' or 'failed to reserve page"
          .. " summary memory' with the heap well below the limit.")
        or l.soft and "GOMEMLIMIT is a soft limit: the GC works harder as the heap approaches it."
        or "Above this the kernel's OOM killer ends the process (SIGKILL, exit 137 in a shell).",
      evidence = { { kind = "limit", value = { name = l.name, mb = l.mb }, source = l.source } },
      remedy = sev == "warning" and ("Give the program more memory, or set GOMEMLIMIT about 10% below the hard"
        .. " limit so the GC collects harder before the kill; with ulimit -v, prefer a cgroup memory limit.") or nil,
    }
  end
  if #lims == 0 then
    ctx:finding { id = "go.memory.no-limit", severity = "info",
      title = "No memory limit found here (no cgroup memory.max, no ulimit -v, no GOMEMLIMIT)",
      detail = "The heap can grow until the machine runs out of memory. The limits were read on this machine:"
        .. " run diagkit where the program runs to compare with its real limits." }
  end
end

return diagkit.playbook {
  id = "go-memory",
  title = "Read a Go program's gctrace: heap growth, GC cost, and memory limits",
  summary = "From GODEBUG=gctrace=1 output (a file, stdin, or by running the program with it set): the"
    .. " live-heap trend, the share of CPU spent in GC, and whether the heap goal approaches the cgroup"
    .. " memory limit, ulimit -v or GOMEMLIMIT of the place where it runs.",
  symptoms = { "memory-growth", "oom", "slow" },
  tags = { "go", "linux", "windows", "memory" },
  params = {
    log = { type = "path", help = "file with the gctrace output (stderr), or - for stdin" },
    argv = { type = "argv", help = "the program to run with GODEBUG=gctrace=1 instead of a file" },
    timeout = { type = "duration", default = 60, min = 0.001, help = "stop the program after this long" },
    limit_mb = { type = "number", min = 1, help = "also compare with this memory limit (MB), e.g. the container's" },
    gomemlimit = { type = "string", help = "the program's GOMEMLIMIT (default: this environment's)" },
  },
  examples = {
    "GODEBUG=gctrace=1 ./server 2>gc.txt; diagkit run go-memory -p log=gc.txt",
    "diagkit run go-memory -p timeout=30s -- ./batch-job",
  },
  run = function(ctx, p)
    if not p.log and not p.argv then
      error("go-memory needs -p log=FILE (or -p log=-) or a program after --", 0)
    end
    if p.argv then
      local r = goinput.run(ctx, p, { GODEBUG = "gctrace=1", GOMEMLIMIT = p.gomemlimit },
        "diagkit.proc is not available in this build; run the program with GODEBUG=gctrace=1 and pass -p log=FILE")
      if not r then return end
      ctx:fact("exit", { status = r.status, exit_code = r.exit_code, max_rss_kb = r.max_rss_kb })
      analyse(ctx, p, r.stderr or "", "stderr")
      return
    end
    local text, source = goinput.read(ctx, "go-memory", p.log)
    if text then analyse(ctx, p, text, source) end
  end,
}
