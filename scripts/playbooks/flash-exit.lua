-- flash-exit: "the program starts and immediately exits".
--
-- Runs the program as the user would, from the folder the user names (default:
-- the current one) and again from the program's own folder, because the
-- commonest cause of a window that flashes and closes is a relative path
-- (config.json, a data folder) that only resolves from one working directory:
-- a double-click, a shortcut or a service starts the program elsewhere.
-- Then says how it ended (the exit-code playbook's own explanation, reused on
-- the recorded result), what it printed last, the Go panic in it, the files it
-- failed to open (from diagkit.trace when strace is there, and from its own
-- error messages in any case), whether the working directory decides, whether
-- a Windows binary is a GUI-subsystem program whose console output nobody
-- sees, and the playbook to run next.

local files = require "diagkit.files"

local STDERR_LINES = 12 -- in the facts; exit-code's finding shows its own 12
local MAX_FILE_FINDINGS = 8

-- Paths and folders -----------------------------------------------------------

local function is_abs(path)
  return path:match("^/") or path:match("^%a:[/\\]") or path:match("^[/\\][/\\]") or false
end

local function has_sep(path)
  return path:find("[/\\]") ~= nil
end

local function dirname(path)
  return path:match("^(.*[^/\\])[/\\]+[^/\\]+$") or (path:match("^[/\\]") and path:sub(1, 1)) or "."
end

local function sep_of(dir)
  return (dir:match("^%a:") or (dir:find("\\", 1, true) and not dir:find("/", 1, true))) and "\\" or "/"
end

local function join(dir, rel)
  if is_abs(rel) then return rel end
  rel = rel:gsub("^%.[/\\]", "")
  if dir:match("[/\\]$") then return dir .. rel end
  return dir .. sep_of(dir) .. rel
end

-- "/a/b/./c/" and "/a/b/c" are the same folder; good enough to tell whether
-- the two runs would use the same working directory.
local function norm_dir(d)
  d = d:gsub("[/\\]%.[/\\]", "/"):gsub("[/\\]", "/")
  if #d > 1 then d = d:gsub("/+$", "") end
  return d
end

-- The program as an absolute path: relative to the toolkit's folder (where the
-- user typed the command), or found in PATH. nil when it cannot be found.
local function resolve_program(ctx, name, here)
  if has_sep(name) then
    if is_abs(name) or not here then return name end
    return join(here, name)
  end
  local which = ctx.proc and ctx.proc.which
  if which then return (which(name)) end
  return nil
end

-- Output ----------------------------------------------------------------------

local function lines_of(s)
  local out = {}
  for line in (s or ""):gmatch("[^\r\n]+") do out[#out + 1] = line end
  return out
end

-- The last n lines, each bounded (report.clip): what the program printed
-- goes into the report, however long its lines.
local function tail(lines, n)
  local clip = require("diagkit.report").clip
  local out = {}
  for i = math.max(1, #lines - n + 1), #lines do out[#out + 1] = clip(lines[i]) end
  return out
end

-- Failed opens the program reported itself: Go's *PathError ("open
-- config.json: no such file or directory"), perror/strerror-style C messages
-- ("prog: data/x.db: No such file or directory"), Python's "[Errno 2] ...:
-- 'x'", and the Windows wording of each.
local MESSAGES = {
  { "no such file or directory", "ENOENT" },
  { "the system cannot find the file specified", "ENOENT" },
  { "the system cannot find the path specified", "ENOENT" },
  { "file not found", "ENOENT" }, -- Wine's FormatMessage for ERROR_FILE_NOT_FOUND
  { "path not found", "ENOENT" },
  { "permission denied", "EACCES" },
  { "access is denied", "EACCES" },
  { "not a directory", "ENOTDIR" },
  { "is a directory", "EISDIR" },
}

local function errno_of(msg)
  local low = msg:lower()
  for _, m in ipairs(MESSAGES) do
    if low:find(m[1], 1, true) then return m[2], m[1] end
  end
end

-- Words before ": <message>" that name a call, not a file.
local NOT_A_PATH = { fopen = true, open = true, opendir = true, stat = true, error = true, fatal = true,
  panic = true, ["open()"] = true, ["fopen()"] = true, errno = true }

local function looks_like_path(s)
  if not s or s == "" or NOT_A_PATH[s:lower()] then return false end
  return s:find("[./\\]") ~= nil
end

--- Failed opens named in the program's own output: list of {path, errno, line, text}.
local function stderr_failures(lines)
  local out, seen = {}, {}
  for n, line in ipairs(lines) do
    local errno, words = errno_of(line)
    if errno then
      local path = line:match("%f[%w]open ([^:]+): ") or line:match("%f[%w]l?stat ([^:]+): ")
        or line:match("%f[%w]chdir ([^:]+): ") or line:match("%f[%w]readdir ([^:]+): ")
        or line:match("%[Errno %d+%][^:]*: '([^']+)'") or line:match("%[Errno %d+%][^:]*: \"([^\"]+)\"") -- Python
      if not path then
        -- "prog: PATH: No such file" / "cannot open 'PATH': ..." / "PATH: No such file"
        local lower = line:lower()
        local at = lower:find(": " .. words, 1, true)
        if at then
          local before = line:sub(1, at - 1)
          path = before:match("['\"`]([^'\"`]+)['\"`]%s*$") or before:match("([^:%s'\"`]+)%s*$")
          if path and before:match("%a:[/\\][^:]*$") then path = before:match("(%a:[/\\][^:]*)$") end
        end
      end
      if path then path = path:gsub("^['\"`]", ""):gsub("['\"`]$", "") end
      if looks_like_path(path) and not seen[path] then
        seen[path] = true
        out[#out + 1] = { path = path, errno = errno, line = n, text = require("diagkit.report").clip(line) }
      end
    end
  end
  return out
end

-- One run ----------------------------------------------------------------------

-- Runs the program in `cwd`, traced when diagkit.trace can, else plainly.
-- Returns the run table {cwd, r, stderr_lines, failures, traced, trace_note}
-- or nil and a message when the toolkit itself failed.
local function run_in(ctx, p, argv, cwd)
  local spec = { argv = argv, cwd = cwd, timeout = p.timeout, stdin = false }
  local run = { cwd = cwd }
  local trace = p.trace and ctx.trace or nil
  local r, err, code
  if trace and trace.run then
    r, err, code = trace.run(spec)
    if not r then
      run.trace_note = string.format("%s (%s)", tostring(err), tostring(code))
      r, err, code = ctx.proc.run(spec)
    elseif not r.trace then
      run.trace_note = r.trace_error or "the program could not be traced"
    elseif r.status == "exited" and (r.stderr or ""):match("^[^\n]*strace[^\n]*: exec: ") then
      -- strace itself could not exec it (ENOEXEC, EACCES...): only a plain
      -- run reports the exact start failure, with its errno.
      run.trace_note = "strace could not start the program: " .. r.stderr:match("^([^\n]*)")
      r, err, code = ctx.proc.run(spec)
    end
  else
    run.trace_note = p.trace and "diagkit.trace is not part of this build" or "tracing was switched off (-p trace=false)"
    r, err, code = ctx.proc.run(spec)
  end
  if not r then return nil, string.format("could not run the program in %s: %s (%s)", cwd, tostring(err), tostring(code)) end
  run.r = r
  -- Still running at the timeout counts as "started fine": it did not flash.
  run.ok = (r.status == "exited" and r.exit_code == 0) or r.status == "timeout"
  run.stderr_lines = lines_of(r.stderr)
  run.traced = r.trace ~= nil
  run.traced_by = r.traced_by
  -- Merge what the trace saw with what the program said, keyed by the path
  -- made absolute against this run's folder.
  local files, by_abs = {}, {}
  local function add(path, errno)
    local abs = join(cwd, path)
    local f = by_abs[abs]
    if not f then
      f = { path = path, abs = abs, errno = errno }
      by_abs[abs] = f
      files[#files + 1] = f
    end
    if not is_abs(path) then f.path = path end -- the program's own words win
    return f
  end
  if run.traced and trace.failures then
    for _, t in ipairs(trace.failures(r.trace) or {}) do
      local f = add(t.path, t.errno)
      f.trace = f.trace or t
    end
  end
  for _, s in ipairs(stderr_failures(run.stderr_lines)) do
    local f = add(s.path, s.errno)
    f.stderr = f.stderr or s
  end
  run.failures = files
  return run
end

local function describe_run(run)
  local r = run.r
  if r.status == "exited" then return string.format("exit status %d", r.exit_code) end
  if r.status == "signaled" then return "killed by " .. (r.signal_name or ("signal " .. tostring(r.signal))) end
  if r.status == "failed" then return "could not start (" .. ((r.error or {}).code or "?") .. ")" end
  if r.status == "timeout" then return "still running at the timeout (it started fine)" end
  return r.status
end

-- Findings ----------------------------------------------------------------------

-- How it ended: the exit-code playbook's explanation of the recorded result
-- (it is given the result, it does not run the program again), so both
-- playbooks always say the same about the same ending.
local function explain_ending(ctx, p, run, argv)
  local playbook = require "diagkit.playbook"
  local def = assert(playbook.find("exit-code"))
  local modules = {}
  for k, v in pairs(ctx.injected or {}) do modules[k] = v end
  local recorded = run.r
  modules.proc = { run = function() return recorded end, which = ctx.proc and ctx.proc.which }
  local sub = playbook.run(def, { argv = argv, cwd = run.cwd, timeout = p.timeout }, { modules = modules })
  if not sub then return end
  for _, f in ipairs(sub.findings) do
    if f.next == "flash-exit" then f.next = nil end -- we are here already
    f.evidence = f.evidence or {}
    table.insert(f.evidence, 2, { kind = "cwd", value = run.cwd })
    ctx.findings[#ctx.findings + 1] = f
  end
  for _, u in ipairs(sub.unknowns or {}) do ctx:unknown(u) end
  for _, e in ipairs(sub.errors or {}) do ctx:unknown("exit-code: " .. e) end
end

local function go_crash(ctx, run)
  local stderr = run.r.stderr or ""
  if stderr == "" or not ctx.gocrash then return nil end
  local ok, g = pcall(ctx.gocrash.parse, stderr, { goroutines = false })
  if not ok or not g or g.kind == "none" or g.kind == "trace" or g.kind == "dump" then return nil end
  local head = g.kind == "panic" and "panic: " or g.kind == "fatal" and "fatal error: " or ""
  local fu = g.first_user_frame
  local evidence = { { kind = "stderr", value = head .. (g.message or ""), source = "stderr (run in " .. run.cwd .. ")",
    line = g.header_line } }
  if fu then
    evidence[#evidence + 1] = { kind = "frame", value = string.format("%s:%d %s", fu.file, fu.line, fu.func),
      source = "stderr", line = fu.source_line }
  end
  ctx:finding {
    id = "flash.go-" .. g.kind, severity = "error",
    title = string.format("The Go runtime reported a %s: %s", g.kind == "fatal" and "fatal error" or g.kind,
      g.message or "?"),
    detail = fu and string.format("First frame in the program's own code: %s at %s:%d.", fu.func, fu.file, fu.line)
      or "No frame of the program's own code in the trace.",
    evidence = evidence,
    remedy = "The message says what failed; `diagkit run go-crash -- <program>` explains the whole trace.",
    next = "go-crash",
  }
  return g
end

local ERRNO_WORDS = { ENOENT = "does not exist", EACCES = "cannot be opened (access denied)",
  EPERM = "cannot be opened (not permitted)", ENOTDIR = "has a path through something that is not a folder",
  EISDIR = "is a folder, not a file", ["NAME NOT FOUND"] = "does not exist", ["PATH NOT FOUND"] = "does not exist",
  ["ACCESS DENIED"] = "cannot be opened (access denied)" }

local function file_evidence(f, run)
  local ev = { { kind = "file", value = f.abs } }
  if f.stderr then
    ev[#ev + 1] = { kind = "stderr", value = f.stderr.text, source = "stderr (run in " .. run.cwd .. ")", line = f.stderr.line }
  end
  if f.trace then
    local t = f.trace
    ev[#ev + 1] = { kind = "trace", value = string.format("%s%s(\"%s\") = -1 %s", t.time and (t.time .. " ") or "",
      t.syscall or "open", t.path, t.errno), source = run.traced_by or "trace", line = t.line }
  end
  return ev
end

local function file_findings(ctx, run, limit)
  local n = 0
  for _, f in ipairs(run.failures) do
    if n >= limit then break end
    n = n + 1
    local denied = f.errno == "EACCES" or f.errno == "EPERM" or f.errno == "ACCESS DENIED"
    local relative = not is_abs(f.path)
    ctx:finding {
      id = denied and "flash.file-denied" or "flash.file-not-found",
      severity = f.stderr and "error" or "warning",
      title = string.format("It failed to open %s: %s (%s)", f.path, ERRNO_WORDS[f.errno] or f.errno, f.errno),
      detail = (relative and string.format("%s is a relative path: the program looked for %s, in its working"
        .. " directory %s.", f.path, f.abs, run.cwd) or "")
        .. (f.stderr and " The program reported it itself." or " Seen in the system-call trace.")
        .. (f.trace and f.trace.count and f.trace.count > 1 and string.format(" Tried %d times.", f.trace.count) or ""),
      evidence = file_evidence(f, run),
      remedy = denied and "Grant the account running the program read access to it (`diagkit run permissions`)."
        or relative and "Create it there, start the program from the folder that holds it, or make the program"
          .. " resolve it against its own folder (Go: filepath.Join(filepath.Dir(os.Executable()), name))."
        or "Create the file, or correct the path in the program's configuration.",
      next = denied and "permissions" or nil,
    }
  end
end

-- The same program, two folders, two outcomes: the working directory decides.
local function cwd_finding(ctx, good, bad)
  local suspects = {}
  for _, f in ipairs(bad.failures) do
    if not is_abs(f.path) and files.exists(join(good.cwd, f.path)) then suspects[#suspects + 1] = f end
  end
  local names = {}
  for _, f in ipairs(suspects) do names[#names + 1] = f.path end
  local evidence = {
    { kind = "run", value = { cwd = bad.cwd, outcome = describe_run(bad) } },
    { kind = "run", value = { cwd = good.cwd, outcome = describe_run(good) } },
  }
  for _, f in ipairs(suspects) do
    evidence[#evidence + 1] = { kind = "file", value = join(good.cwd, f.path), source = "exists" }
    evidence[#evidence + 1] = { kind = "file", value = f.abs, source = "missing" }
    if f.stderr then
      evidence[#evidence + 1] = { kind = "stderr", value = f.stderr.text, source = "stderr (run in " .. bad.cwd .. ")",
        line = f.stderr.line }
    end
  end
  local what = #names > 0 and table.concat(names, ", ") or "a relative path"
  local it = #names > 0 and what or "the files it needs"
  ctx:finding {
    id = "flash.cwd-dependent", severity = bad.own and "warning" or "error",
    title = string.format("It works from %s but fails from %s: %s is opened relative to the working directory",
      good.cwd, bad.cwd, what),
    detail = string.format("Run in %s it ended with %s; run in %s it ended with %s.%s", good.cwd, describe_run(good),
      bad.cwd, describe_run(bad), #names > 0 and string.format(" %s exists in %s and not in %s.", what, good.cwd, bad.cwd)
        or " No failed open was seen (no trace and nothing in its output); the difference is still the folder."),
    evidence = evidence,
    remedy = bad.own and "It relies on being started from " .. good.cwd .. "; a shortcut or service that starts"
      .. " it in its own folder will fail. Give it an absolute path or look the file up next to the executable."
      or string.format("Start it with %s as the working directory (a shortcut's \"Start in\", a service's"
        .. " WorkingDirectory=, `cd` in the script), or copy %s there; better, have the program look %s up next"
        .. " to its executable (Go: filepath.Dir(os.Executable())) instead of in the working directory.",
        good.cwd, it, it),
  }
end

-- A GUI-subsystem .exe gets no console: started from Explorer its stdout and
-- stderr go nowhere, and from cmd.exe the prompt returns at once, so it
-- "flashes" or appears to do nothing even when it prints why it stopped.
local function gui_check(ctx, program)
  if files.head(program, 2) ~= "MZ" or not ctx.deps or not ctx.deps.pe then return end
  local pe, err = ctx.deps.pe(program)
  if not pe then
    ctx:fact("pe", { error = err })
    return
  end
  local go = pe.go
  if go == nil and ctx.deps.gobuild then go = ctx.deps.gobuild(program) or nil end
  ctx:fact("pe", { subsystem = pe.subsystem, subsystem_code = pe.subsystem_code, machine = pe.machine,
    go_windowsgui = go and go.windowsgui or nil })
  if pe.subsystem ~= "gui" then return end
  -- Go's linker writes a console subsystem unless told -H=windowsgui, so a Go
  -- GUI program was built with it even when -trimpath kept ldflags out of
  -- the build info.
  local gogui = go and true or false
  local evidence = { { kind = "pe", value = { subsystem = pe.subsystem, subsystem_code = pe.subsystem_code },
    source = program } }
  if go then evidence[#evidence + 1] = { kind = "go-buildinfo", value = { ldflags = go.ldflags, windowsgui = go.windowsgui } } end
  ctx:finding {
    id = "flash.gui-subsystem", severity = "warning",
    title = "It is a GUI-subsystem program: Windows gives it no console, so what it prints is never seen",
    detail = (gogui and "It was built with `go build -ldflags -H=windowsgui`. " or "")
      .. "Started from Explorer or a shortcut, its stdout and stderr lead nowhere, and from cmd.exe the prompt"
      .. " returns at once: an error message or a panic that explains the exit is lost. (diagkit captured its"
      .. " output here through pipes.)",
    evidence = evidence,
    remedy = "Run it with its output redirected to see it (`prog.exe > out.txt 2> err.txt`), have it write a log"
      .. " file" .. (gogui and ", or build a console version for diagnosis (go build without -H=windowsgui)"
      or ", or build it as a console program for diagnosis (-mconsole / /SUBSYSTEM:CONSOLE)") .. ".",
  }
end

local function trace_note(ctx, runs, platform)
  local notes = {}
  for _, run in ipairs(runs) do
    if not run.traced and run.trace_note then notes[#notes + 1] = run.trace_note end
  end
  if #notes == 0 then return end
  ctx:fact("trace", { available = false, reason = notes[1] })
  ctx:finding {
    id = "flash.trace-unavailable", severity = "info",
    title = "File access was not traced: " .. notes[1],
    detail = "Failed opens were taken from the program's own error messages only; a file it gave up on silently"
      .. " is not listed.",
    remedy = notes[1]:find("could not start", 1, true)
      and "It did not get as far as opening files: the start failure above is the cause."
      or platform == "windows"
      and "Capture with Process Monitor (Sysinternals): filter on the process name, Result is NAME NOT FOUND or"
        .. " PATH NOT FOUND, and save as CSV."
      or "Install strace (apt-get install strace, dnf install strace) and run again; inside a container it may"
        .. " need --cap-add=SYS_PTRACE.",
  }
end

return diagkit.playbook {
  id = "flash-exit",
  title = "The program starts and immediately exits: why?",
  summary = "Runs the program from the folder you name (default: the current one) and from its own folder,"
    .. " and reports how it ended, the last lines of stderr and any Go panic in them, the files it failed to"
    .. " open (traced with strace when available), whether a relative path works only from one working"
    .. " directory, whether a Windows .exe is a GUI-subsystem program that hides its console output, and"
    .. " the next playbook to run.",
  symptoms = { "exits-instantly", "window-flashes", "nonzero-exit", "file-not-found" },
  tags = { "linux", "windows", "go", "runs-program", "triage" },
  params = {
    argv = { type = "argv", required = true, help = "the program and its arguments" },
    cwd = { type = "path", help = "working directory to run it in, as the user does (default: the current one)" },
    timeout = { type = "duration", default = 10, min = 0.001,
      help = "kill each run (and its children) after this long; still running then counts as started fine" },
    trace = { type = "bool", default = true, help = "trace file access with strace when it is installed" },
    lines = { type = "int", default = STDERR_LINES, min = 1, max = 1000, help = "how many last lines of stderr each run keeps in the facts" },
  },
  examples = {
    "diagkit run flash-exit -- ./examples/crashers/build/goconfig",
    "diagkit run flash-exit -p cwd=/srv -- /opt/app/server --port 80",
    "diagkit run flash-exit -p trace=false -- app.exe",
  },

  run = function(ctx, p)
    local platform = ctx.sys and ctx.sys.platform and ctx.sys.platform().os or nil
    local here = files.current_dir()
    local program = resolve_program(ctx, p.argv[1], here)
    local argv = { program or p.argv[1] }
    for i = 2, #p.argv do argv[i] = p.argv[i] end
    local user_cwd = p.cwd or here or "."
    if here and not is_abs(user_cwd) then user_cwd = join(here, user_cwd) end
    local own_dir = program and files.exists(program) and dirname(program) or nil
    ctx:fact("program", { argv = argv, path = program, folder = own_dir })

    local runs = {}
    local a, err = run_in(ctx, p, argv, user_cwd)
    if not a then
      ctx:unknown(err)
      return
    end
    runs[1] = a
    local b
    if own_dir and norm_dir(own_dir) ~= norm_dir(user_cwd) then
      b, err = run_in(ctx, p, argv, own_dir)
      if not b then ctx:unknown(err) end
      if b then
        b.own = true
        runs[2] = b
      end
    end
    for n, run in ipairs(runs) do
      local r = run.r
      local failures = {}
      for _, f in ipairs(run.failures) do failures[#failures + 1] = { path = f.path, abs = f.abs, errno = f.errno,
        from = f.trace and (f.stderr and "trace+stderr" or "trace") or "stderr" } end
      ctx:fact(n == 1 and "run" or "run_own_folder", { cwd = run.cwd, status = r.status, exit_code = r.exit_code,
        signal_name = r.signal_name, wall_ms = r.wall_ms, traced = run.traced, failed_opens = failures,
        stderr_tail = tail(run.stderr_lines, p.lines) })
    end

    -- How it ended where the user runs it; if it worked there, the own-folder run is the one to explain.
    local main = a
    if a.ok and b and not b.ok then main = b end
    explain_ending(ctx, p, main, argv)
    -- exit-code's finding carries the last lines of stderr as evidence; the
    -- facts hold them for each run.
    go_crash(ctx, main)

    if b and a.ok ~= b.ok then
      if b.ok then cwd_finding(ctx, b, a) else cwd_finding(ctx, a, b) end
    end
    if not main.ok then file_findings(ctx, main, MAX_FILE_FINDINGS) end

    if program and files.exists(program) then gui_check(ctx, program) end
    if p.trace then trace_note(ctx, runs, platform) end

    local nexts, seen = {}, {}
    for _, f in ipairs(ctx.findings) do
      if f.next and not seen[f.next] then
        seen[f.next] = true
        nexts[#nexts + 1] = f.next
      end
    end
    ctx:fact("next", nexts)
  end,
}
