-- go-race: summarise the Go race detector's reports. Each distinct pair of
-- conflicting accesses is reported once (with how often it repeated), with
-- the first frame in the user's code for both accesses and where the two
-- goroutines were created.

local goinput = require "diagkit.goinput"
local progress = require "diagkit.progress"

local function where(f)
  if not f then return "?" end
  return string.format("%s:%d", f.file, f.line or 0)
end

local function short(f)
  if not f then return "?" end
  return string.format("%s:%d", f.file:match("[^/\\]+$") or f.file, f.line or 0)
end

local function who(a)
  if a.goroutine == "main" then return "the main goroutine" end
  return a.goroutine and ("goroutine " .. a.goroutine) or "a goroutine"
end

-- The creation site of the goroutine that made access a, from the report.
local function created_at(race, a)
  for _, g in ipairs(race.goroutines) do
    if a.goroutine == g.id then return g.first_user_frame or g.created_at[1], g.state end
  end
end

local function access_key(a)
  local f = a.first_user_frame or a.frames[1]
  return string.format("%s %s@%s", a.op, f and f.func or "?", where(f))
end

return diagkit.playbook {
  id = "go-race",
  title = "Summarise Go data race reports (-race) by distinct conflicting pair",
  summary = "Reads the output of a program or test built with -race and reports each distinct pair of"
    .. " conflicting accesses once, with the first frame in your code on both sides, where both"
    .. " goroutines were created, and how often the pair repeated.",
  symptoms = { "exit-66", "data-race" },
  tags = { "go", "linux", "windows", "offline" },
  params = {
    log = { type = "path", required = true, help = "file with the -race output (stderr), or - for stdin" },
    module = { type = "string", help = "import path of your module, so its packages count as your code" },
  },
  examples = { "go test -race ./... 2>race.txt; diagkit run go-race -p log=race.txt" },
  run = function(ctx, p)
    local text = goinput.read(ctx, "go-race", p.log)
    if not text then return end
    local g = progress.busy("go-race: parsing " .. p.log, ctx.gocrash.parse, text,
      { module = p.module, goroutines = false })
    if #g.races == 0 then
      ctx:unknown(string.format("no 'WARNING: DATA RACE' report in %s (%d lines)", p.log, g.lines))
      return
    end

    -- group by the unordered pair of (op, first user frame)
    local groups, order = {}, {}
    for _, race in ipairs(g.races) do
      local a, b = race.accesses[1], race.accesses[2]
      if a then
        local ka, kb = access_key(a), b and access_key(b) or "?"
        local key = ka < kb and (ka .. " / " .. kb) or (kb .. " / " .. ka)
        local grp = groups[key]
        if not grp then
          grp = { race = race, count = 0, lines = {} }
          groups[key] = grp
          order[#order + 1] = key
        end
        grp.count = grp.count + 1
        grp.lines[#grp.lines + 1] = race.line
      end
    end

    ctx:fact("races", { reports = #g.races, distinct = #order, found = g.races_found })
    for _, key in ipairs(order) do
      local grp = groups[key]
      local race = grp.race
      local a, b = race.accesses[1], race.accesses[2]
      local fa, fb = a.first_user_frame, b and b.first_user_frame
      local ca, sa = created_at(race, a)
      local cb, sb
      if b then cb, sb = created_at(race, b) end
      local detail = {
        string.format("%s by %s at %s (%s)", a.op, who(a), where(fa), fa and fa.func or "?"),
      }
      if b then
        detail[#detail + 1] = string.format("%s%s by %s at %s (%s)", b.previous and "previous " or "", b.op, who(b),
          where(fb), fb and fb.func or "?")
      end
      if ca then detail[#detail + 1] = string.format("goroutine %s (%s) created at %s", a.goroutine, sa, where(ca)) end
      if cb then detail[#detail + 1] = string.format("goroutine %s (%s) created at %s", b.goroutine, sb, where(cb)) end
      local evidence = {
        { kind = "access", value = { op = a.op, goroutine = a.goroutine, addr = a.addr, frame = fa and (where(fa) .. " " .. fa.func) },
          source = p.log, line = a.line },
      }
      if b then
        evidence[#evidence + 1] = { kind = "access", value = { op = b.op, previous = b.previous, goroutine = b.goroutine,
          addr = b.addr, frame = fb and (where(fb) .. " " .. fb.func) }, source = p.log, line = b.line }
      end
      ctx:finding {
        id = "go.race.pair", severity = "error",
        title = string.format("Data race: %s at %s vs %s at %s%s", a.op, short(fa), b and b.op or "?", short(fb),
          grp.count > 1 and string.format(" (reported %d times)", grp.count) or ""),
        detail = table.concat(detail, "; ") .. ".",
        evidence = evidence,
        remedy = "Both accesses touch the same memory without synchronisation and at least one writes."
          .. " Guard it with a sync.Mutex held on both sides, use sync/atomic for a counter, or hand the"
          .. " value over a channel so one goroutine owns it.",
        refs = { "https://go.dev/doc/articles/race_detector" },
      }
    end
    ctx:finding {
      id = "go.race.summary", severity = "info",
      title = string.format("%d race report(s), %d distinct pair(s)%s", #g.races, #order,
        g.races_found and string.format("; the program said 'Found %d data race(s)'", g.races_found) or ""),
      detail = "The race detector reports a pair of program locations once per run; repeats come from several"
        .. " runs or tests in the same log. A program with races exits with status 66 (GORACE=exitcode=N).",
      evidence = { { kind = "counts", value = { reports = #g.races, distinct = #order }, source = p.log } },
    }
  end,
}
