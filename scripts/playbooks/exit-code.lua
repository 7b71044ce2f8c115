-- exit-code: run a program as the user would and explain how it ended.
--
-- The triage every other playbook starts from: did it start at all, did it
-- exit or die of a signal or exception, what does the code mean on this OS
-- and for this kind of program (Go, a shell script), and where to look next.

local causes = require "diagkit.causes"
local files = require "diagkit.files"

local STDERR_LINES = 12
-- A line cut to 2,000 bytes, saying so: a program that writes megabytes
-- without a newline must not put them in the report (twice: fact and evidence).
local bounded = require("diagkit.report").clip

-- The last n non-empty lines of s, each bounded.
local function tail_lines(s, n)
  local lines = {}
  for line in (s or ""):gmatch("[^\r\n]+") do
    lines[#lines + 1] = line
    if #lines > n then table.remove(lines, 1) end
  end
  for i, line in ipairs(lines) do lines[i] = bounded(line) end
  return lines
end

-- The whole line of s holding the first match of pat, bounded. (Written as
-- "[^\n]*" .. pat .. "[^\n]*" the pattern backtracks over every line and
-- takes minutes on megabytes of stderr.)
local function line_of(s, pat)
  local i, j = s:find(pat)
  if not i then return nil end
  local a = i
  while a > 1 and s:byte(a - 1) ~= 10 do a = a - 1 end
  local b = s:find("\n", j + 1, true)
  return bounded(s:sub(a, (b or #s + 1) - 1))
end

-- What a Go runtime prints when it dies (see docs and reference/go-crash-output.md).
local function go_evidence(stderr)
  if not stderr then return nil end
  for _, pat in ipairs {
    "\npanic: [^\n]*", "^panic: [^\n]*", "\nfatal error: [^\n]*", "^fatal error: [^\n]*",
    "WARNING: DATA RACE",
  } do
    local m = stderr:match(pat)
    if m then return (m:gsub("^\n", "")) end
  end
  if stderr:match("\ngoroutine %d+ %[") or stderr:match("^goroutine %d+ %[") then
    return "goroutine dump on stderr"
  end
end

-- Messages glibc and the C/C++ runtimes print before abort().
local function abort_reason(stderr)
  for _, pat in ipairs {
    "Assertion `", "double free", "malloc%(%)", "free%(%)", "corrupted", "terminate called",
    "stack smashing detected", "abort%(%) has been called",
  } do
    local m = line_of(stderr or "", pat)
    if m then return m end
  end
end

-- Why exec said ENOENT although the file may well exist: the kernel also
-- reports ENOENT when a script's #! interpreter or an ELF's dynamic loader
-- is missing. Returns a finding detail, or nil.
local function enoent_detail(path)
  local head = files.head(path, 256)
  if not head then return nil end
  local interp = head:match("^#!%s*([^%s]+)")
  if interp then
    return string.format("%s exists, but its #! line names the interpreter %s, which cannot be"
      .. " executed: exec reports ENOENT for a missing interpreter too.", path, interp)
  end
  if head:sub(1, 4) == "\127ELF" then
    return path .. " exists and is an ELF binary: ENOENT then means its dynamic loader (PT_INTERP,"
      .. " e.g. /lib64/ld-linux-x86-64.so.2 or a musl/32-bit loader) is missing on this system."
  end
  return nil
end

local function meaning_finding(ctx, id, m, evidence, detail)
  return ctx:finding {
    id = id, severity = m.severity, title = m.title, detail = detail,
    evidence = evidence, remedy = m.remedy, next = m.next,
  }
end

local function is_shell(argv)
  local name = (argv[1]:match("[^/\\]+$") or argv[1]):lower()
  if name:match("^b?a?sh$") or name == "dash" or name == "zsh" or name == "ksh" or name == "env" then
    return true
  end
  local head = files.head(argv[1], 2)
  return head == "#!"
end

-- The first interpretation that has a practical meaning, with that meaning.
local function first_meaning(list, accept)
  for _, i in ipairs(list or {}) do
    if not accept or accept(i) then
      local m = causes.for_interpretation(i)
      if i.kind == "shell" and i.wraps then m = causes.for_interpretation(i.wraps) or m end
      if m then return i, m end
    end
  end
end

-- Error texts a program prints when an operation fails, as Windows, Wine and
-- the C library word them. They say which operation failed; they are
-- evidence for an exit status only when the status is the same error.
local NAMED_ERRORS = {
  { kind = "win32", name = "ERROR_FILE_NOT_FOUND", value = 2,
    texts = { "the system cannot find the file specified", "file not found." } },
  { kind = "win32", name = "ERROR_PATH_NOT_FOUND", value = 3,
    texts = { "the system cannot find the path specified", "path not found." } },
  { kind = "win32", name = "ERROR_ACCESS_DENIED", value = 5, texts = { "access is denied", "access denied." } },
  { kind = "win32", name = "ERROR_SHARING_VIOLATION", value = 32,
    texts = { "being used by another process", "sharing violation." } },
  { kind = "errno", name = "ENOENT", value = 2, texts = { "no such file or directory" } },
  { kind = "errno", name = "EACCES", value = 13, texts = { "permission denied" } },
  { kind = "errno", name = "EPERM", value = 1, texts = { "operation not permitted" } },
  { kind = "errno", name = "EIO", value = 5, texts = { "input/output error" } },
}

-- The errors the program's stderr names: { {kind, name, value, text} }.
local function errors_named(stderr)
  local low = (stderr or ""):lower()
  local out = {}
  for _, e in ipairs(NAMED_ERRORS) do
    local hit = low:find(e.name:lower(), 1, true) and e.name
    for _, t in ipairs(e.texts) do
      if hit then break end
      if low:find(t, 1, true) then hit = t end
    end
    if hit then out[#out + 1] = { kind = e.kind, name = e.name, value = e.value, text = hit } end
  end
  return out
end

-- Does stderr name this reading of the code (its symbolic name or its message)?
local function stderr_names(i, stderr, named)
  for _, e in ipairs(named) do
    if e.kind == i.kind and e.value == i.value then return e.text end
  end
  local low = (stderr or ""):lower()
  if i.name and (i.kind == "win32" or i.kind == "errno") and low:find(i.name:lower(), 1, true) then
    return i.name
  end
  local msg = (i.message or ""):lower():gsub("[%s%.]+$", "")
  if (i.kind == "win32" or i.kind == "errno") and #msg >= 12 and low:find(msg, 1, true) then return msg end
end

-- The program's path, for reading its Go build info: as given when it has a
-- folder in it, else found in PATH.
local function program_path(ctx, name)
  if name:find("[/\\]") then return name end
  local which = ctx.proc and ctx.proc.which
  if which then
    local ok, path = pcall(which, name)
    if ok and path then return path end
  end
  return name
end

-- The Go build info of the program, or nil when it is not a Go binary.
local function go_build(ctx, path)
  local deps = ctx.deps
  if not deps or not deps.gobuild then return nil end
  local ok, info = pcall(deps.gobuild, path)
  if ok and type(info) == "table" then return info end
end

local RANK = { likely = 1, possible = 2, unlikely = 3 }

-- Every reading of a status the program chose, ranked by what is known
-- about the program. Returns { {kind, name, message, rank, why, evidence?,
-- interpretation} }, best first.
local function rank_readings(list, code, know)
  local out = {}
  local function add(i, rank, why, evidence)
    out[#out + 1] = { kind = i.kind, name = i.name, hex = i.hex, message = i.message, rank = rank,
      why = why, evidence = evidence, interpretation = i }
  end
  for _, i in ipairs(list) do
    local keep = true
    -- We ran the program ourselves: the status is whole, not a shell's low 8
    -- bits of something larger, and an NTSTATUS/HRESULT success code is no
    -- reason to exit.
    if i.value ~= code and know.context ~= "shell" then keep = false end
    if (i.kind == "ntstatus" or i.kind == "hresult") and code < 0x10000 then keep = false end
    if keep then
      local named = (i.kind == "win32" or i.kind == "errno") and stderr_names(i, know.stderr, know.named)
      if named then
        add(i, "likely", string.format("its stderr names this error (\"%s\")", named), named)
      elseif i.kind == "go" then
        if know.go then
          local why = code == 2 and "Go's runtime exits 2 after a panic or fatal error, but stderr has no"
            .. " panic report: os.Exit(2) in its code, or the flag package's usage error"
            or code == 1 and "a Go program: log.Fatal and most error returns from main exit with 1"
            or "a Go program"
          add(i, code == 2 and "possible" or "likely", why)
        else
          add(i, "unlikely", "only for a Go program, and " .. know.not_go)
        end
      elseif i.kind == "shell" then
        if know.context == "shell" then
          add(i, "likely", "the program is a shell or a script")
        elseif code == 1 then
          add(i, know.go and "possible" or "likely",
            "EXIT_FAILURE: the usual 'it failed' status of C programs and command-line tools")
        elseif code == 2 then
          add(i, "possible", "many command-line tools exit 2 on bad arguments")
        else
          add(i, "unlikely", "a shell convention, and the program is not a shell")
        end
      elseif i.kind == "win32" then
        if know.go then
          add(i, "unlikely", "a Go program exits with a Win32 code only if its own code passes one to os.Exit")
        elseif know.os == "windows" or know.context == "windows" then
          add(i, "possible", "only if the program exits with GetLastError(); nothing it printed names this error")
        else
          add(i, "unlikely", "a Windows error code, and this is not a Windows program")
        end
      elseif i.kind == "errno" then
        if know.go then
          add(i, "unlikely", "a Go program exits with an errno only if its own code passes one to os.Exit")
        elseif know.os ~= "windows" or know.context == "linux" then
          add(i, "possible", "only if the program exits with errno; nothing it printed names this error")
        else
          add(i, "unlikely", "C runtime errno values are rarely exit statuses on Windows")
        end
      else
        add(i, "unlikely", i.why)
      end
    end
  end
  -- A Go program's runtime and log package exit 1, 2 or 66; any other status
  -- comes from os.Exit(n) in the program's own code.
  if know.go and code ~= 1 and code ~= 2 and code ~= 66 then
    out[#out + 1] = { kind = "go", name = string.format("os.Exit(%d)", code),
      message = "the program's own choice", rank = "likely",
      why = "Go's runtime exits 2 (panic) or 66 (race) and log.Fatal 1: any other status is the program's own" }
  end
  -- The Microsoft C runtime's abort() exits with 3 (no signals on Windows).
  if code == 3 and know.os == "windows" and not know.go then
    local why = know.abort and ("abort() in the Microsoft C runtime exits with 3, and it printed: " .. know.abort)
      or "abort() in the Microsoft C runtime (msvcrt, UCRT) exits with 3: an assertion or a fatal runtime error"
    out[#out + 1] = { kind = "crt", name = "abort()", message = "the C runtime's abort() exit status",
      rank = know.abort and "likely" or "possible", why = why }
  end
  local order = {}
  for n, r in ipairs(out) do order[r] = n end
  table.sort(out, function(a, b)
    if RANK[a.rank] ~= RANK[b.rank] then return RANK[a.rank] < RANK[b.rank] end
    return order[a] < order[b]
  end)
  return out
end

local KIND_TEXT = {
  win32 = "Win32 error", errno = "errno", go = "Go", shell = "convention", crt = "C runtime",
  ntstatus = "NTSTATUS", hresult = "HRESULT", signal = "signal", wine = "Wine",
}

local function reading_text(r)
  local msg = r.message and (r.message:gsub("%.$", "")) or nil
  return string.format("%s: %s%s%s (%s)", r.rank, KIND_TEXT[r.kind] or r.kind,
    r.name and (" " .. r.name) or "", msg and (": " .. msg) or "", r.why or "")
end

local function explain_exit(ctx, p, r, evidence, platform)
  local code = r.exit_code
  local stderr = r.stderr or ""
  local go = go_evidence(stderr)
  local windows = platform.os == "windows"
  local path = program_path(ctx, p.argv[1])
  local build = go_build(ctx, path)
  local explicit = p.context ~= "auto" and p.context or nil
  -- -p context= decides how to read the status; without it, what the
  -- program is (Go build info, Go runtime output, a shell) decides.
  local is_go
  if explicit then is_go = explicit == "go" else is_go = build ~= nil or go ~= nil end
  local context = explicit
    or (is_go and "go") or (is_shell(p.argv) and "shell") or (windows and "windows") or "linux"

  local know = {
    os = platform.os, context = context, go = is_go, stderr = stderr,
    named = errors_named(stderr), abort = abort_reason(stderr)
      or line_of(stderr, "requested the Runtime to terminate")
      or line_of(stderr, "abnormal program termination")
      or line_of(stderr, "abort%(%)"),
    not_go = build == nil and "it has no Go build info" or "it is not read as one",
  }
  local program = {
    kind = is_go and "go" or context, go_version = build and build.go_version or nil,
    go_path = build and build.path or nil, how = explicit and "-p context=" .. explicit
      or build and "Go build info" or go and "Go runtime output on stderr"
      or context == "shell" and "shell or #! script" or "platform",
  }
  ctx:fact("program", program)

  local list = ctx.codes.lookup(code, { context = context }) or {}
  local race = stderr:find("WARNING: DATA RACE", 1, true)
  if race and (is_go or code == 66) then
    evidence[#evidence + 1] = { kind = "go-runtime", value = "WARNING: DATA RACE", source = "stderr" }
    local m = causes.get("go:66")
    return ctx:finding {
      id = "exit.go.race", severity = m.severity, title = m.title, evidence = evidence,
      detail = string.format("Exit status %d and the race detector's report on stderr ('WARNING: DATA RACE').%s",
        code, code == 66 and "" or " GORACE=exitcode= changed the usual status 66."),
      remedy = m.remedy, next = m.next,
    }
  end

  if go and code == 2 then
    evidence[#evidence + 1] = { kind = "go-runtime", value = go, source = "stderr" }
    local m = causes.get("go:2")
    return meaning_finding(ctx, "exit.go.panic", m, evidence,
      string.format("Exit status %d and the Go runtime's own report on stderr: %s", code, go))
  end

  -- A Windows code needs all 32 bits: NTSTATUS, HRESULT, large Win32 codes.
  -- A status below 256 is, first of all, what the program chose (exit(n)).
  if code > 255 then
    local i, m = first_meaning(list, function(x)
      return x.kind == "ntstatus" or x.kind == "hresult" or x.kind == "wine" or code <= 0xFFFF
    end)
    if i then
      evidence[#evidence + 1] = { kind = "code", value = { hex = i.hex, name = i.name, message = i.message } }
      local id = "exit." .. i.kind .. "." .. (i.name or i.hex):lower()
      return meaning_finding(ctx, id, m, evidence, string.format(
        "The process ended with %s (%s, %s).", i.hex, i.name or "?", i.message or ""))
    end
  end

  if context == "shell" and (code == 126 or code == 127 or (code > 128 and code < 160)) then
    local i, m = first_meaning(list, function(x) return x.kind == "shell" end)
    if i then
      evidence[#evidence + 1] = { kind = "reading", value = i.why or i.message or i.name }
      return meaning_finding(ctx, "exit.shell." .. code, m, evidence,
        "The program is a shell or a script; its status follows the shell's conventions.")
    end
  end

  local readings = rank_readings(list, code, know)
  local facts = {}
  for n, x in ipairs(readings) do
    facts[n] = { kind = x.kind, name = x.name, message = x.message, rank = x.rank, why = x.why,
      evidence = x.evidence }
  end
  ctx:fact("readings", facts)

  local lines = {}
  for n, x in ipairs(readings) do
    if n > 5 then break end
    lines[#lines + 1] = reading_text(x)
  end
  if #lines > 0 then
    evidence[#evidence + 1] = { kind = "possible-readings", value = table.concat(lines, "\n") }
  end

  -- The errors its output names: the failing operation, whatever the status.
  local named_next, named_remedy, named_texts = nil, nil, {}
  for _, e in ipairs(know.named) do
    named_texts[#named_texts + 1] = string.format("%s %s (\"%s\")", e.kind, e.name, e.text)
    local m = causes.get(e.name)
    if m and not named_next then named_next, named_remedy = m.next, m.remedy end
  end
  if #named_texts > 0 then
    evidence[#evidence + 1] = { kind = "errors-named", value = table.concat(named_texts, "\n"),
      source = "stderr" }
  end

  local top = readings[1]
  local who = is_go and (build and string.format("a Go program (%s%s)", build.go_version or "Go",
      build.path and (", " .. build.path) or "") or go and "a Go program (its runtime output says so)"
      or "read as a Go program (-p context=go)")
    or context == "shell" and "a shell or script"
    or (windows and "a Windows program, not Go" or "a native program, not Go")
  local detail = string.format("The program (%s) ran and chose exit status %d; what it means is the"
    .. " program's own convention, and its output says why.", who, code)
  if top and top.rank == "likely" then
    detail = detail .. string.format(" Most likely: %s%s (%s).", KIND_TEXT[top.kind] or top.kind,
      top.name and (" " .. top.name) or "", top.why)
  end
  local m = top and top.rank == "likely" and top.evidence and top.interpretation
    and causes.for_interpretation(top.interpretation)
  local remedy
  if m then
    remedy = m.remedy
  elseif is_go and code == 1 then
    remedy = "Read the last line of its stderr: log.Fatal prints the message right before exiting."
  else
    remedy = "Read the last lines of its stderr (shown above) and its log files: they say what failed."
  end
  if named_remedy and not m then
    remedy = remedy .. " Its output names an error: " .. named_remedy
  end
  return ctx:finding {
    id = "exit.nonzero", severity = "error",
    title = string.format("The program exited with status %d: the program chose this status", code),
    detail = detail, evidence = evidence, remedy = remedy,
    next = (m and m.next) or named_next or "flash-exit",
  }
end

return diagkit.playbook {
  id = "exit-code",
  title = "Why did this program exit? Run it and explain how it ended",
  summary = "Runs the program (no shell), captures how it ended (exit code, signal, core dump, start"
    .. " failure) and explains it: NTSTATUS, Win32, HRESULT, errno, signals, shell and Go conventions,"
    .. " with the likely causes and the next playbook to run.",
  symptoms = { "exits-instantly", "crash", "nonzero-exit" },
  tags = { "linux", "windows", "triage", "runs-program" },
  params = {
    argv = { type = "argv", required = true, help = "the program and its arguments" },
    cwd = { type = "path", help = "working directory to run it in (default: the current one)" },
    timeout = { type = "duration", default = 60, min = 0.001, help = "kill the program (and its children) after this long" },
    context = { type = "choice", choices = { "auto", "go", "shell", "windows", "linux" }, default = "auto",
      help = "how to read the exit status; auto looks at the program and its output" },
  },
  examples = {
    "diagkit run exit-code -- ./examples/crashers/build/segv",
    "diagkit run exit-code --format json -- false",
    "diagkit run exit-code -p timeout=5s -- ./server --port 80",
  },

  run = function(ctx, p)
    local platform = ctx.sys.platform()
    local r, err, code = ctx.proc.run { argv = p.argv, cwd = p.cwd, timeout = p.timeout, stdin = false }
    if not r then
      ctx:unknown(string.format("could not run the program: %s (%s)", err, tostring(code)))
      return
    end
    local stderr_tail = tail_lines(r.stderr, STDERR_LINES)
    ctx:fact("exit", {
      status = r.status, exit_code = r.exit_code, signal = r.signal, signal_name = r.signal_name,
      core_dumped = r.core_dumped, wall_ms = r.wall_ms, user_ms = r.user_ms, sys_ms = r.sys_ms,
      max_rss_kb = r.max_rss_kb, pid = r.pid, error = r.error,
    })
    ctx:fact("stderr_tail", stderr_tail)

    local evidence = { { kind = "command", value = p.argv } }
    if r.found_by then
      -- a bare name on Windows: which CreateProcess rule found it
      evidence[#evidence + 1] = { kind = "found-by", value = r.path .. " (in " .. r.found_by .. ")" }
    end
    local function add_stderr()
      if #stderr_tail > 0 then
        evidence[#evidence + 1] = { kind = "stderr", value = table.concat(stderr_tail, "\n"), source = "stderr (last lines)" }
      end
    end

    if r.status == "failed" then
      local e = r.error or {}
      evidence[#evidence + 1] = { kind = "start-error", value = { code = e.code, step = e.step, message = e.message } }
      local m = causes.get(e.code or "") or {
        severity = "error", title = "The program could not be started",
        remedy = "See the error above.",
      }
      local detail = e.code == "ENOENT" and enoent_detail(p.argv[1]) or nil
      ctx:finding {
        id = "exit.start-failed." .. (e.code or "unknown"):lower(), severity = "error",
        title = string.format("The program could not be started: %s (%s)", e.message or "?", e.code or "?"),
        detail = detail or (m.title .. "."), evidence = evidence, remedy = m.remedy, next = m.next,
      }
      return
    end

    add_stderr()
    evidence[#evidence + 1] = { kind = "usage", value = {
      wall_ms = r.wall_ms, user_ms = r.user_ms, sys_ms = r.sys_ms, max_rss_kb = r.max_rss_kb } }

    if r.status == "timeout" then
      ctx:finding {
        id = "exit.timeout", severity = "warning",
        title = string.format("The program was still running after %g s and was killed with its children", p.timeout),
        detail = "It did not exit on its own: it may be waiting for input, a lock, the network, or be stuck.",
        evidence = evidence,
        remedy = platform.os == "windows"
          and ("Run it with a longer timeout if it is a long job; otherwise take a dump while it hangs"
            .. " (Task Manager > Details > Create dump file, or procdump -ma PID) and open it in WinDbg,"
            .. " or with dlv core for a Go program.")
          or ("Run it with a longer timeout if it is a long job; otherwise take a stack dump while it"
            .. " hangs (gdb -p PID, or kill -QUIT for a Go program)."),
      }
      return
    end

    if r.status == "signaled" then
      evidence[#evidence + 1] = { kind = "signal", value = {
        number = r.signal, name = r.signal_name, core_dumped = r.core_dumped } }
      local m = causes.get(r.signal_name or "") or {
        severity = "error", title = string.format("The program was killed by signal %d", r.signal),
        remedy = "Find what sent the signal.",
      }
      local detail = string.format("Killed by signal %d (%s)%s.", r.signal, r.signal_name or "?",
        r.core_dumped and ", and the kernel wrote a core dump" or "")
      local why = r.signal_name == "SIGABRT" and abort_reason(r.stderr)
      if why then detail = detail .. " Before aborting it printed: " .. why end
      local go = go_evidence(r.stderr)
      if go then detail = detail .. " The Go runtime reported: " .. go end
      meaning_finding(ctx, "exit.signal." .. (r.signal_name or tostring(r.signal)):lower(), m, evidence, detail)
      return
    end

    if r.exit_code == 0 then
      ctx:finding {
        id = "exit.success", severity = "info",
        title = "The program exited normally with status 0",
        detail = string.format("It ran for %d ms.", math.floor(r.wall_ms or 0)),
        evidence = evidence,
      }
      return
    end
    explain_exit(ctx, p, r, evidence, platform)
  end,
}
