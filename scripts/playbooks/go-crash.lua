-- go-crash: why did this Go program die? Reads the runtime's own report (a
-- file, stdin, or the stderr of a run with GOTRACEBACK=all), parses it with
-- diagkit.gocrash and says, in plain words: what kind of crash, where in the
-- user's code, which goroutine, what the exit status means, what the other
-- goroutines were doing, and what to change.

local causes = require "diagkit.causes"

-- cause -> plain words and the usual fix
local KIND = {
  ["nil-pointer"] = {
    title = "nil pointer dereference",
    remedy = "A pointer, interface, map or func value was nil where the code used it. Check the value"
      .. " at the named line for nil before use, or make sure the constructor that should set it ran"
      .. " (a zero-value struct, an ignored error return, a missing init).",
  },
  ["nil-map"] = {
    title = "write to a nil map",
    remedy = "The map was declared but never made: initialise it with make(map[K]V) (or a literal)"
      .. " before the first write, e.g. in the constructor of the struct that holds it.",
  },
  ["index-out-of-range"] = {
    title = "index out of range",
    remedy = "Check the length before indexing (if i < len(s)), or fix the loop bound; the message"
      .. " gives the index and the length at the moment of the crash.",
  },
  ["slice-bounds"] = {
    title = "slice bounds out of range",
    remedy = "A slice expression s[a:b] had a > b or b > cap(s); check the bounds before slicing.",
  },
  ["divide-by-zero"] = { title = "integer division by zero", remedy = "Check the divisor before dividing." },
  ["type-assertion"] = {
    title = "failed type assertion (interface conversion)",
    remedy = "Use the two-value form v, ok := x.(T) and handle !ok, or a type switch.",
  },
  ["close-closed-channel"] = {
    title = "close of a closed channel",
    remedy = "Only the single sender should close a channel; guard the close with sync.Once.",
  },
  ["send-closed-channel"] = {
    title = "send on a closed channel",
    remedy = "The receiver side closed the channel while senders were still running: let the sender"
      .. " own the close, or stop senders (context cancel, WaitGroup) before closing.",
  },
  ["negative-waitgroup"] = {
    title = "negative sync.WaitGroup counter",
    remedy = "Done was called more often than Add: call Add before starting each goroutine, once.",
  },
  ["unlock-unlocked"] = {
    title = "unlock of an unlocked mutex",
    remedy = "An Unlock without a matching Lock (often a double Unlock, or an Unlock in a defer and"
      .. " again by hand); pair every Lock with exactly one deferred Unlock.",
  },
  ["concurrent-map-writes"] = {
    title = "concurrent map writes (a data race on a map)",
    remedy = "Two goroutines wrote to the same map at once. Guard the map with a sync.Mutex (or"
      .. " sync.RWMutex), use sync.Map for append-mostly caches, or give each goroutine its own map."
      .. " Run the tests and the program with -race to find every unsynchronised access.",
  },
  ["concurrent-map-read-write"] = {
    title = "concurrent map read and map write (a data race on a map)",
    remedy = "A goroutine read a map while another wrote it. Guard it with a sync.RWMutex (RLock for"
      .. " readers) or use sync.Map; run with -race to find every unsynchronised access.",
  },
  ["concurrent-map-iteration-write"] = {
    title = "map written while another goroutine iterated over it",
    remedy = "Hold a lock across the whole range loop and the writes, or iterate over a copy; run with -race.",
  },
  ["deadlock"] = {
    title = "deadlock: every goroutine is blocked",
    remedy = "No goroutine can make progress: a channel send with no receiver, a receive nobody sends"
      .. " to, a WaitGroup that never reaches zero, or a mutex locked twice. The goroutines below show"
      .. " where each one waits; make sure every channel has a live partner and is closed by its sender.",
  },
  ["goexit-deadlock"] = {
    title = "main called runtime.Goexit and no goroutine is left",
    remedy = "runtime.Goexit (or t.FailNow / log.Panic in a test helper) ended main; return from main instead.",
  },
  ["out-of-memory"] = {
    title = "out of memory",
    remedy = "The heap outgrew what the OS allows (ulimit -v, container or cgroup limit, or RAM)."
      .. " Find what keeps memory alive (pprof heap profile, `diagkit run go-memory` on a gctrace), set"
      .. " GOMEMLIMIT a little below the real limit so the GC works harder before the kill, and bound"
      .. " caches and queues.",
  },
  ["address-space"] = {
    title = "the runtime could not reserve address space at start-up",
    remedy = "The virtual memory limit (ulimit -v / RLIMIT_AS) is too small for the Go runtime, which"
      .. " reserves address space up front. Raise or remove ulimit -v; limit memory with GOMEMLIMIT or a"
      .. " cgroup memory limit instead.",
  },
  ["stack-overflow"] = {
    title = "goroutine stack overflow (runaway recursion)",
    remedy = "A function recursed without end (the repeated frame is the loop); add or fix the base"
      .. " case, or turn deep recursion into a loop with an explicit stack. Raising the limit with"
      .. " debug.SetMaxStack only delays the crash.",
  },
  ["unexpected-signal"] = {
    title = "unexpected signal during runtime execution (memory corruption or cgo)",
    remedy = "A fault inside the runtime usually means cgo or unsafe code corrupted memory; run with"
      .. " -race and GODEBUG=cgocheck=2, and check the C code named in the stack.",
  },
  ["fault"] = {
    title = "memory fault at an unexpected address",
    remedy = "An access to an invalid address that is not a plain nil dereference: unsafe, cgo or a"
      .. " memory-mapped file that went away.",
  },
  ["sigquit"] = {
    title = "dump requested with SIGQUIT (Ctrl-\\ or kill -QUIT)",
    remedy = "Not a crash by itself: someone asked for the goroutine dump. Look at the goroutine buckets"
      .. " to see where the program was stuck.",
  },
  ["sigabrt"] = {
    title = "aborted (SIGABRT, often GOTRACEBACK=crash or a C abort)",
    remedy = "Look at the first frames: a C library abort() or GOTRACEBACK=crash after a Go crash.",
  },
  ["exception"] = {
    title = "Windows exception outside Go code",
    remedy = "The exception happened in a DLL or cgo code, not in Go: the code below names it. Check the"
      .. " C/DLL call at the top of the goroutine stack and its arguments.",
  },
  ["custom"] = {
    title = "panic raised by the program",
    remedy = "The program called panic itself (or a library did) with the message shown; the first"
      .. " frame in your code is where it decided it could not go on. Return an error instead where the"
      .. " condition can happen in production.",
  },
  ["test-timeout"] = {
    title = "go test timed out",
    remedy = "A test ran longer than -timeout; the goroutine buckets show where it hangs.",
  },
}

local DEFAULT = {
  title = "fatal runtime error",
  remedy = "Read the message and the first frame in your code; the runtime prints it when it cannot continue.",
}

local function where(f)
  if not f then return "?" end
  return string.format("%s:%d (%s)", f.file, f.line or 0, f.func)
end

local function commas(n)
  local s = tostring(n)
  while true do
    local k
    s, k = s:gsub("^(%d+)(%d%d%d)", "%1,%2")
    if k == 0 then return s end
  end
end

local goinput = require "diagkit.goinput"
local progress = require "diagkit.progress"

-- The exit status: what it means for a Go program, through diagkit.codes.
local function exit_meaning(ctx, code)
  local ok, list = pcall(ctx.codes.lookup, code, { context = "go" })
  if not ok or type(list) ~= "table" then return nil end
  for _, i in ipairs(list) do
    if i.kind == "go" or i.kind == "ntstatus" or (code > 255 and i.kind == "hresult") then return i end
  end
  return list[1]
end

-- A Windows exception code ("0xc0000005") through diagkit.codes.
local function exception_name(ctx, hex)
  local v = tonumber(hex)
  if not v then return nil end
  local ok, list = pcall(ctx.codes.lookup, v)
  if not ok or type(list) ~= "table" then return nil end
  for _, i in ipairs(list) do
    if i.kind == "ntstatus" then return i end
  end
end

local function analyse(ctx, p, text, source, run)
  -- the per-goroutine list is not needed: buckets and the crashed goroutine are
  local g = progress.busy("go-crash: parsing " .. source, ctx.gocrash.parse, text,
    { module = p.module, goroutines = false })
  local fu = g.first_user_frame
  local words = KIND[g.cause or ""] or DEFAULT
  ctx:fact("go", {
    kind = g.kind, cause = g.cause, message = g.message, exit_code = g.exit_code,
    exit_code_source = g.exit_code_source, first_user_frame = fu and { func = fu.func, file = fu.file, line = fu.line } or nil,
    crashed_goroutine = g.crashed and g.crashed.id or nil, goroutine_count = g.goroutine_count,
    buckets = #g.buckets, races = #g.races, gc_cycles = #g.gc, truncated = g.truncated,
    signal = g.signal, exception = g.exception,
  })

  if g.kind == "none" or g.kind == "trace" then
    if run and run.exit_code == 0 then
      ctx:finding { id = "go.no-crash", severity = "info", title = "The program exited normally (status 0)",
        detail = "No panic, fatal error or goroutine dump in its output.",
        evidence = { { kind = "command", value = p.argv } } }
    else
      ctx:unknown(string.format("no Go panic, fatal error, race report or goroutine dump found in %s (%d lines read)",
        source, g.lines))
    end
    if #g.gc > 0 then
      ctx:finding { id = "go.gctrace-present", severity = "info",
        title = string.format("%d gctrace lines found: `diagkit run go-memory` analyses them", #g.gc),
        evidence = { { kind = "log", value = "gc 1 ...", source = source, line = g.gc[1].line } }, next = "go-memory" }
    end
    return
  end

  if g.kind == "race" then
    local race = g.races[1]
    local a, b = race.accesses[1], race.accesses[2]
    ctx:finding {
      id = "go.race", severity = "error",
      title = string.format("Data race: %d report(s) from the race detector", #g.races),
      detail = string.format("%s by goroutine %s at %s conflicts with %s by goroutine %s at %s.",
        a and a.op or "?", a and tostring(a.goroutine) or "?", where(a and a.first_user_frame),
        b and b.op or "?", b and tostring(b.goroutine) or "?", where(b and b.first_user_frame)),
      evidence = { { kind = "log", value = "WARNING: DATA RACE", source = source, line = race.line } },
      remedy = "Protect the shared variable with a sync.Mutex, use sync/atomic, or pass it over a channel."
        .. " `diagkit run go-race -p log=FILE` groups every distinct pair.",
      next = "go-race",
    }
  else
    local title = string.format("Go %s: %s", g.kind == "fatal" and "fatal error" or g.kind, words.title)
    if fu then title = title .. string.format(" at %s:%d", fu.file:match("[^/\\]+$") or fu.file, fu.line) end
    local evidence = {
      { kind = "log", value = (g.kind == "panic" and "panic: " or g.kind == "fatal" and "fatal error: " or "")
          .. (g.message or ""), source = source, line = g.header_line },
    }
    if fu then
      evidence[#evidence + 1] = { kind = "frame", value = string.format("%s:%d %s", fu.file, fu.line, fu.func),
        source = source, line = fu.source_line }
    end
    local detail = {}
    if g.message then
      detail[#detail + 1] = "The runtime said: " .. g.message .. (g.message:match("[.!?]$") and "" or ".")
    end
    if g.panics and #g.panics > 1 then
      local chain = {}
      for _, pn in ipairs(g.panics) do chain[#chain + 1] = pn.message .. (pn.recovered and " [recovered]" or "") end
      detail[#detail + 1] = "Panic chain: " .. table.concat(chain, " -> ") .. " (a panic raised while handling a recovered one)."
    end
    if g.bounds and g.bounds.index and g.bounds.length then
      detail[#detail + 1] = string.format("Index %d was used on a length of %d.", g.bounds.index, g.bounds.length)
    end
    if fu then
      detail[#detail + 1] = string.format("First frame in your code: %s in %s at line %d.", fu.func, fu.file, fu.line)
    else
      detail[#detail + 1] = "No frame of your own code in the stack (runtime or library frames only)."
    end
    if g.crashed then
      detail[#detail + 1] = string.format("Triggering goroutine: %d [%s]%s.", g.crashed.id, g.crashed.state,
        g.crashed.created_by and (", created by " .. g.crashed.created_by.func
          .. (g.crashed.created_by.file and string.format(" at %s:%d", g.crashed.created_by.file, g.crashed.created_by.line or 0) or ""))
          or "")
    end
    if g.oom then
      detail[#detail + 1] = string.format("It asked for %s bytes with %s bytes in use.", commas(g.oom.request),
        commas(g.oom.in_use or 0))
    end
    if g.stack_limit then detail[#detail + 1] = string.format("Stack limit: %s bytes.", commas(g.stack_limit)) end
    if g.signal then
      local s = g.signal
      local sig = string.format("Signal %s code=%s addr=%s pc=%s", s.name, s.code or "?", s.addr or "?", s.pc or "?")
      local ex = s.name:match("^0x") and exception_name(ctx, s.name)
      if ex then sig = sig .. string.format(" (%s: %s)", ex.name, ex.message or "") end
      detail[#detail + 1] = sig .. "."
      evidence[#evidence + 1] = { kind = "signal", value = s, source = source }
    end
    if g.exception then
      local ex = exception_name(ctx, g.exception.code)
      detail[#detail + 1] = string.format("Windows exception %s%s at pc=%s.", g.exception.code,
        ex and (" = " .. ex.name .. " (" .. (ex.message or "") .. ")") or "", g.exception.pc or "?")
      evidence[#evidence + 1] = { kind = "exception", value = g.exception, source = source }
    end
    ctx:finding {
      id = "go." .. g.kind .. "." .. (g.cause or "unknown"), severity = (g.cause == "sigquit") and "warning" or "error",
      title = title, detail = table.concat(detail, " "), evidence = evidence, remedy = words.remedy,
      refs = { "https://go.dev/doc/diagnostics", "https://pkg.go.dev/runtime#hdr-Environment_Variables" },
    }
    if (g.cause or ""):match("^concurrent%-map") or #g.races > 0 then
      ctx:finding { id = "go.hint.race-detector", severity = "info",
        title = "Rebuild with -race to find every unsynchronised access",
        detail = "The map check only catches the accesses that collided this time; the race detector reports all of them.",
        remedy = "go test -race ./... and go build -race, then `diagkit run go-race -p log=FILE` on its output.",
        next = "go-race" }
    end
  end

  -- the exit status
  local code, how = g.exit_code, g.exit_code_source
  if run and run.exit_code then code, how = run.exit_code, "observed" end
  if code then
    local i = exit_meaning(ctx, code)
    local m = causes.get("go:" .. code)
    local meaning = (i and i.message) or (m and m.title) or "the program's own exit status"
    local hex = code > 255 and string.format(" (0x%08X%s)", code, i and i.name and (" " .. i.name) or "") or ""
    ctx:finding {
      id = "go.exit-status", severity = "info",
      title = string.format("Exit status %d%s: %s", code, hex, meaning),
      detail = how == "observed" and "Observed when the program was run."
        or how == "text" and "From the 'exit status' line that `go run` prints (go run itself exits 1)."
        or "Not observed: the status the Go runtime uses for this kind of crash.",
      evidence = { { kind = "exit-code", value = code, source = how } },
    }
  end

  -- the other goroutines, bucketed
  local shown = 0
  for _, b in ipairs(g.buckets) do
    local is_crashed = g.crashed and b.ids[1] == g.crashed.id and b.count == 1
    if not is_crashed and shown < p.buckets then
      shown = shown + 1
      local f = b.first_user_frame or b.frames[1]
      ctx:finding {
        id = "go.goroutines.bucket", severity = "info",
        title = string.format("%s goroutine%s %s at %s", commas(b.count), b.count == 1 and "" or "s",
          (b.state == "running" or b.state == "runnable" or b.state == "syscall")
            and ((b.count == 1 and "is " or "are ") .. b.state)
            or ("blocked in " .. b.state .. (b.minutes_max and string.format(" (%d-%d minutes)", b.minutes_min, b.minutes_max) or "")),
          f and string.format("%s:%d", f.file:match("[^/\\]+$") or f.file, f.line) or "?"),
        detail = string.format("Stack: %s%s.", f and f.func or "?",
          b.created_by and (", created by " .. b.created_by.func) or ""),
        evidence = { { kind = "goroutines", value = { count = b.count, state = b.state,
          ids = table.concat(b.ids, ",", 1, math.min(#b.ids, 10)) .. (#b.ids > 10 and ",..." or ""),
          frame = f and string.format("%s:%d %s", f.file, f.line, f.func) or nil }, source = source } },
      }
    end
  end

  if g.truncated then
    ctx:finding { id = "go.truncated", severity = "warning",
      title = string.format("The output is cut short at line %d", g.stopped.line),
      detail = g.stopped.reason .. string.format(" (byte offset %d). What came before was parsed.", g.stopped.offset),
      evidence = { { kind = "log", value = g.stopped.reason, source = source, line = g.stopped.line } },
      remedy = "Capture the whole stderr (no `head`, no pipe buffer limit); use GOTRACEBACK=all for every goroutine." }
  end
end

return diagkit.playbook {
  id = "go-crash",
  title = "Why did this Go program crash? Parse its panic, fatal error or goroutine dump",
  summary = "Reads the Go runtime's crash report (from a file, stdin, or by running the program with"
    .. " GOTRACEBACK=all) and explains it: the kind of crash in plain words, the first frame in your"
    .. " code, the triggering goroutine, the exit status, buckets of the other goroutines, Windows"
    .. " exception codes, and the remedy.",
  symptoms = { "crash", "exit-2", "panic", "deadlock" },
  tags = { "go", "linux", "windows", "offline" },
  params = {
    log = { type = "path", help = "file holding the program's stderr, or - for stdin" },
    argv = { type = "argv", help = "the program to run (with GOTRACEBACK set) instead of a file" },
    module = { type = "string", help = "import path of your module, so its packages count as your code" },
    timeout = { type = "duration", default = 60, min = 0.001, help = "kill the program after this long" },
    traceback = { type = "choice", choices = { "all", "single", "system", "crash" }, default = "all",
      help = "GOTRACEBACK for the run" },
    buckets = { type = "int", default = 5, min = 0, max = 100, help = "how many goroutine buckets to report" },
  },
  examples = {
    "diagkit run go-crash -p log=crash.txt",
    "./server 2>&1 | diagkit run go-crash -p log=-",
    "diagkit run go-crash -- ./server --port 8080",
  },
  run = function(ctx, p)
    if not p.log and not p.argv then
      error("go-crash needs -p log=FILE (or -p log=- for stdin) or a program after --", 0)
    end
    if p.argv then
      local r = goinput.run(ctx, p, { GOTRACEBACK = p.traceback }, "diagkit.proc is not available in this build,"
        .. " so the program cannot be run; capture its stderr and pass it with -p log=FILE")
      if not r then return end
      ctx:fact("exit", { status = r.status, exit_code = r.exit_code, signal_name = r.signal_name, wall_ms = r.wall_ms })
      if r.status == "timeout" then
        ctx:finding { id = "go.timeout", severity = "warning",
          title = string.format("The program was still running after %g s and was killed", p.timeout),
          detail = "Send it SIGQUIT (kill -QUIT PID) while it hangs to get a goroutine dump, then run go-crash on it." }
      end
      analyse(ctx, p, (r.stderr or "") .. "", "stderr", r)
      return
    end
    local text, source = goinput.read(ctx, "go-crash", p.log)
    if text then analyse(ctx, p, text, source, nil) end
  end,
}
