-- exit-code: run a program as the user would and explain how it ended.
--
-- The triage every other playbook starts from: did it start at all, did it
-- exit or die of a signal or exception, what does the code mean on this OS
-- and for this kind of program (Go, a shell script), and where to look next.

local causes = require "diagkit.causes"
local files = require "diagkit.files"

local STDERR_LINES = 12

-- The last n non-empty lines of s.
local function tail_lines(s, n)
  local lines = {}
  for line in (s or ""):gmatch("[^\r\n]+") do
    lines[#lines + 1] = line
    if #lines > n then table.remove(lines, 1) end
  end
  return lines
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
    "[^\n]*Assertion `[^\n]*", "[^\n]*double free[^\n]*", "[^\n]*malloc%(%)[^\n]*",
    "[^\n]*free%(%)[^\n]*", "[^\n]*corrupted[^\n]*", "[^\n]*terminate called[^\n]*",
    "[^\n]*stack smashing detected[^\n]*", "[^\n]*abort%(%) has been called[^\n]*",
  } do
    local m = (stderr or ""):match(pat)
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

local function explain_exit(ctx, p, r, evidence, platform)
  local code = r.exit_code
  local stderr = r.stderr or ""
  local go = go_evidence(stderr)
  local windows = platform.os == "windows"
  local context = p.context ~= "auto" and p.context
    or (go and "go") or (windows and "windows") or (is_shell(p.argv) and "shell") or "linux"
  local list = ctx.codes.lookup(code, { context = context }) or {}
  local readings = {}
  for n, i in ipairs(list) do
    if n > 4 then break end
    -- Conventions (shell, go) have no symbolic name: "shell convention".
    readings[#readings + 1] = string.format("%s %s%s", i.kind, i.name or "convention",
      i.message and (": " .. i.message) or "")
  end

  if go and (code == 2 or code == 66) then
    evidence[#evidence + 1] = { kind = "go-runtime", value = go, source = "stderr" }
    local m = causes.get("go:" .. code)
    return meaning_finding(ctx, "exit.go." .. (code == 2 and "panic" or "race"), m, evidence,
      string.format("Exit status %d and the Go runtime's own report on stderr: %s", code, go))
  end

  -- A Windows code needs all 32 bits; below 256 it may be a plain exit(n).
  if windows or code > 255 then
    local i, m = first_meaning(list, function(x)
      return x.kind == "ntstatus" or x.kind == "hresult" or x.kind == "wine" or code <= 0xFFFF
    end)
    if i then
      evidence[#evidence + 1] = { kind = "code", value = { hex = i.hex, name = i.name, message = i.message } }
      local id = "exit." .. i.kind .. "." .. (i.name or i.hex):lower()
      return meaning_finding(ctx, id, m, evidence, string.format(
        "The process ended with %s (%s, %s).%s", i.hex, i.name or "?", i.message or "",
        code <= 255 and " A small code may also be the program's own exit(n)." or ""))
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

  local detail = string.format("The program chose exit status %d; its own output says why.", code)
  if go and code == 1 then detail = detail .. " Go's log.Fatal exits with 1 after printing the message." end
  if #readings > 0 then
    evidence[#evidence + 1] = { kind = "possible-readings", value = readings }
  end
  return ctx:finding {
    id = "exit.nonzero", severity = "error",
    title = string.format("The program exited with status %d (failure)", code),
    detail = detail, evidence = evidence,
    remedy = "Read the last lines of its stderr (shown above) and its log files; a status that is an"
      .. " errno or Win32 error (see the readings) points at the failing operation.",
    next = "flash-exit",
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
        remedy = "Run it with a longer timeout if it is a long job; otherwise take a stack dump while it"
          .. " hangs (gdb -p PID, or kill -QUIT for a Go program).",
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
