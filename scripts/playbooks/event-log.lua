-- event-log: what the Windows event logs say about a program that crashed,
-- hung or did not start: Application Error 1000, Windows Error Reporting 1001,
-- .NET Runtime 1026, Application Hang 1002, the Service Control Manager's
-- 7000/7009/7011/7022/7023/7024/7031/7034/7036 and Resource-Exhaustion-Detector
-- 2004. Reads .evtx files with diagkit.evtx (on any OS), groups repeats,
-- decodes exception codes and %%N insertion strings through diagkit.codes,
-- and says what they mean (diagkit.causes).

local causes = require "diagkit.causes"
local progress = require "diagkit.progress"

-- Names for the commonest codes, used only when diagkit.codes is not available.
local FALLBACK_NAMES = {
  [0xC0000005] = "STATUS_ACCESS_VIOLATION", [0xC00000FD] = "STATUS_STACK_OVERFLOW",
  [0xC0000409] = "STATUS_STACK_BUFFER_OVERRUN", [0xC0000374] = "STATUS_HEAP_CORRUPTION",
  [0xC000001D] = "STATUS_ILLEGAL_INSTRUCTION", [0xC0000094] = "STATUS_INTEGER_DIVIDE_BY_ZERO",
  [0x80000003] = "STATUS_BREAKPOINT", [0xC0000135] = "STATUS_DLL_NOT_FOUND", [0xC0000017] = "STATUS_NO_MEMORY",
  [0xC0000006] = "STATUS_IN_PAGE_ERROR", [0xC000013A] = "STATUS_CONTROL_C_EXIT",
  [2] = "ERROR_FILE_NOT_FOUND", [3] = "ERROR_PATH_NOT_FOUND", [5] = "ERROR_ACCESS_DENIED",
  [14] = "ERROR_OUTOFMEMORY", [50] = "ERROR_NOT_SUPPORTED", [193] = "ERROR_BAD_EXE_FORMAT",
  [1053] = "ERROR_SERVICE_REQUEST_TIMEOUT", [1058] = "ERROR_SERVICE_DISABLED", [1067] = "ERROR_PROCESS_ABORTED",
  [1069] = "ERROR_SERVICE_LOGON_FAILED", [1077] = "ERROR_SERVICE_NEVER_STARTED",
}

local function lower(s) return (s or ""):lower() end

local function basename(path)
  return (path or ""):match("[^/\\]+$") or path
end

-- A data field by name (newer Windows) or position (older Windows: nameless <Data>).
local function field(rec, name, pos)
  local v = rec.data[name]
  if v == nil and pos and rec.data_list[pos] and rec.data_list[pos].name == nil then
    v = rec.data_list[pos].value
  end
  return v
end

local function parse_hex(s)
  if not s then return nil end
  local h = s:match("^0[xX](%x+)$") or s:match("^(%x+)$")
  return h and tonumber(h, 16) or nil
end

-- What a number means, through diagkit.codes when it is there.
-- kinds: preferred interpretation kinds, most wanted first.
local function decode(ctx, n, kinds)
  local out = { value = n, hex = string.format("0x%08X", n) }
  local codes = ctx.codes
  local list = codes and codes.lookup and codes.lookup(n, { context = "windows" }) or nil
  if list and #list > 0 then
    local pick = list[1]
    for _, want in ipairs(kinds) do
      for _, i in ipairs(list) do
        if i.kind == want then pick = i; goto found end
      end
    end
    ::found::
    out.name, out.message, out.kind = pick.name, pick.message, pick.kind
    out.meaning = causes.for_interpretation(pick)
    out.source = "diagkit.codes"
  else
    out.name = FALLBACK_NAMES[n]
    out.source = "event-log's short list (diagkit.codes not available)"
  end
  out.meaning = out.meaning or (out.name and causes.get(out.name)) or causes.get(out.hex)
  return out
end

local function code_text(c)
  local s = c.hex
  if c.name then s = s .. " " .. c.name end
  if c.message then s = s .. " (" .. c.message .. ")" end
  return s
end

-- %%N insertion strings: message-table references to a Win32 error (%%50) or an
-- HRESULT (%%2147942414 = 0x8007000E, whose low word is Win32 error 14).
local function insertion(ctx, s)
  local n = s and math.tointeger(tonumber(s:match("^%%%%(%d+)$")))
  if not n then return nil end
  if n >= 0x80000000 and (n >> 16) & 0x1FFF == 7 then
    -- HRESULT_FROM_WIN32: the Win32 error says more than the HRESULT's own name
    local w = decode(ctx, n & 0xFFFF, { "win32" })
    w.win32_value = w.value
    w.value, w.hex = n, string.format("0x%08X", n)
    return w
  end
  return decode(ctx, n, n >= 0x80000000 and { "hresult", "ntstatus" } or { "win32", "ntstatus" })
end

local function insertion_text(ctx, s)
  local c = insertion(ctx, s)
  if not c then return s, nil end
  if c.win32_value then
    return string.format("%s = HRESULT %s = Win32 error %d%s%s", s, c.hex, c.win32_value,
      c.name and (" " .. c.name) or "", c.message and (" (" .. c.message .. ")") or ""), c
  end
  return s .. " = " .. code_text(c), c
end

-- Event handlers: record -> case {key, id, severity, title, detail, subjects, remedy, next, code}
local H = {}

H["application error/1000"] = function(ctx, r)
  local app = field(r, "AppName", 1) or "?"
  local module = field(r, "ModuleName", 4) or "?"
  local code_s = field(r, "ExceptionCode", 7)
  local offset = field(r, "FaultingOffset", 8)
  local path = field(r, "AppPath", 11)
  local modpath = field(r, "ModulePath", 12)
  local n = parse_hex(code_s)
  local c = n and decode(ctx, n, { "ntstatus", "exception", "win32" })
  local m = c and c.meaning
  local detail = string.format("%s crashed in %s with exception %s at offset %s.%s%s", app, module,
    c and code_text(c) or tostring(code_s), tostring(offset),
    path and (" Program: " .. path .. ".") or "", modpath and (" Faulting module: " .. modpath .. ".") or "")
  if lower(module) ~= lower(app) and module ~= "?" then
    detail = detail .. " The fault is inside " .. module .. ", not the program's own code: a bug in how the"
      .. " program calls it, a bad version of that DLL, or memory corrupted earlier."
  end
  if m and m.causes then detail = detail .. " Likely causes: " .. table.concat(m.causes, "; ") .. "." end
  return {
    key = table.concat({ "1000", lower(app), lower(module), lower(code_s), lower(offset) }, "|"),
    id = "evtx.app-error", severity = "error",
    title = string.format("%s crashed (Application Error 1000: %s in %s)", app,
      c and (c.name or c.hex) or tostring(code_s), module),
    detail = detail, subjects = { app, path, module, modpath },
    remedy = m and m.remedy or "Collect a crash dump (WER LocalDumps) and open it in WinDbg (!analyze -v).",
    next = m and m.next or "exit-code", code = c,
  }
end

H["windows error reporting/1001"] = function(ctx, r)
  local list = r.data_list
  local v = function(i) return list[i] and list[i].value end
  local event_name = field(r, "EventName", 3) or v(3) or "?"
  local p1 = field(r, "P1", 6) or v(6) or "?"
  local bucket = field(r, "Bucket", 1) or v(1) or "?"
  local p7 = v(12)
  local detail = string.format("Windows Error Reporting filed a %s report for %s (fault bucket %s).",
    event_name, p1, bucket)
  local n = parse_hex(p7)
  local c = event_name == "APPCRASH" and n and decode(ctx, n, { "ntstatus", "exception" }) or nil
  if c then detail = detail .. " Exception: " .. code_text(c) .. "." end
  local report = nil
  for _, d in ipairs(list) do
    if (d.value or ""):match("\\WER\\") then report = d.value end
  end
  if report then detail = detail .. " Report files: " .. report .. "." end
  return {
    key = "1001|" .. lower(event_name) .. "|" .. lower(p1) .. "|" .. lower(bucket),
    id = "evtx.wer-report", severity = "info",
    title = string.format("Windows Error Reporting: %s report for %s (event 1001)", event_name, p1),
    detail = detail, subjects = { p1 },
    remedy = "The report folder holds Report.wer (and a minidump when LocalDumps is enabled): it names the"
      .. " faulting module and the loaded modules.",
  }
end

H[".net runtime/1026"] = function(ctx, r)
  local text = (r.data_list[1] and r.data_list[1].value) or ""
  local app = text:match("Application: ([^\r\n]+)") or "?"
  local exc = text:match("Exception Info: ([^\r\n]+)") or "?"
  local frame = text:match("Exception Info: [^\r\n]+[\r\n]+%s*(at [^\r\n]+)")
  local detail = string.format("%s was terminated by an unhandled .NET exception %s%s.", app, exc,
    frame and (", thrown " .. frame) or "")
  local fw = text:match("Framework Version: ([^\r\n]+)")
  if fw then detail = detail .. " Framework " .. fw .. "." end
  local m = causes.get("0xE0434352")
  return {
    key = "1026|" .. lower(app) .. "|" .. lower(exc),
    id = "evtx.dotnet-crash", severity = "error",
    title = string.format("%s died of an unhandled %s (.NET Runtime 1026)", app, exc),
    detail = detail, subjects = { app },
    remedy = (exc:match("FileNotFoundException") and "A file or assembly the program loads is missing: the"
      .. " exception text names it. " or "") .. (m and m.remedy or "The event text holds the managed stack."),
  }
end

H["application hang/1002"] = function(ctx, r)
  local app = field(r, "AppName", 1) or "?"
  local path = field(r, "AppPath", 6)
  return {
    key = "1002|" .. lower(app),
    id = "evtx.app-hang", severity = "warning",
    title = string.format("%s stopped responding and was closed (Application Hang 1002)", app),
    detail = string.format("%s%s stopped processing window messages and was ended by the user or Windows.",
      app, path and (" (" .. path .. ")") or ""),
    subjects = { app, path },
    remedy = "Take a dump of the hung process (Task Manager > Create dump file, or procdump -h) and look at"
      .. " what the UI thread waits on.",
  }
end

local SCM = "service control manager"

local function scm(eid, fn)
  H[SCM .. "/" .. eid] = function(ctx, r)
    local p = function(i) return field(r, "param" .. i, i) end
    return fn(ctx, r, p)
  end
end

local GO_SERVICE = "A program registered as a service must connect to the Service Control Manager within 30 s"
  .. " (StartServiceCtrlDispatcher). A Go console program does not unless it uses golang.org/x/sys/windows/svc"
  .. " or github.com/kardianos/service; wrap it with one of them (or a service wrapper such as WinSW/NSSM)."

scm(7000, function(ctx, r, p)
  local svc = p(1) or "?"
  local why, c = insertion_text(ctx, p(2) or "?")
  local timeout = c and c.value == 1053
  return {
    key = "7000|" .. lower(svc) .. "|" .. lower(p(2)), id = "evtx.service-start-failed", severity = "error",
    title = string.format("Service %s failed to start (SCM 7000: %s)", svc, c and (c.name or c.hex) or why),
    detail = string.format("The %s service failed to start: %s.", svc, why), subjects = { svc },
    remedy = timeout and GO_SERVICE or (c and c.meaning and c.meaning.remedy)
      or "Check the service's ImagePath, account and dependencies (sc qc " .. svc .. ").",
    code = c,
  }
end)

scm(7009, function(ctx, r, p)
  local svc = p(2) or "?"
  return {
    key = "7009|" .. lower(svc), id = "evtx.service-timeout", severity = "error",
    title = string.format("Service %s did not connect to the Service Control Manager within %s ms (SCM 7009)",
      svc, p(1) or "?"),
    detail = string.format("A timeout was reached (%s ms) while waiting for the %s service to connect.",
      p(1) or "?", svc),
    subjects = { svc }, remedy = GO_SERVICE,
  }
end)

scm(7011, function(ctx, r, p)
  local svc = p(2) or "?"
  return {
    key = "7011|" .. lower(svc), id = "evtx.service-timeout", severity = "warning",
    title = string.format("Service %s did not answer a control request within %s ms (SCM 7011)", svc, p(1) or "?"),
    detail = string.format("The %s service took longer than %s ms to respond to a start/stop/interrogate"
      .. " control: its control handler is blocked.", svc, p(1) or "?"),
    subjects = { svc },
    remedy = "The service's control handler must return quickly and report progress (SERVICE_START_PENDING"
      .. " with a wait hint) while it works.",
  }
end)

scm(7022, function(ctx, r, p)
  local svc = p(1) or "?"
  return {
    key = "7022|" .. lower(svc), id = "evtx.service-timeout", severity = "warning",
    title = string.format("Service %s hung on starting (SCM 7022)", svc),
    detail = string.format("The %s service connected but never reported SERVICE_RUNNING.", svc),
    subjects = { svc },
    remedy = "Report SERVICE_RUNNING as soon as the service can accept controls; do long initialisation after it.",
  }
end)

local function terminated(ctx, eid, svc, raw, specific)
  local why, c = insertion_text(ctx, raw or "?")
  return {
    key = eid .. "|" .. lower(svc) .. "|" .. lower(raw), id = "evtx.service-error", severity = "error",
    title = string.format("Service %s stopped with %s (SCM %d: %s)", svc,
      specific and "a service-specific error" or "an error", eid, c and (c.name or c.hex) or tostring(raw)),
    detail = string.format("The %s service terminated with %s %s.", svc,
      specific and "service-specific error" or "error", why)
      .. (specific and " Service-specific codes are defined by the service itself; the Win32 reading is a guess." or ""),
    subjects = { svc },
    remedy = c and c.meaning and c.meaning.remedy or "Look at the service's own log for why it stopped.",
    code = c,
  }
end

scm(7023, function(ctx, r, p) return terminated(ctx, 7023, p(1) or "?", p(2), false) end)
scm(7024, function(ctx, r, p) return terminated(ctx, 7024, p(1) or "?", p(2), true) end)

-- 7031 and 7034: the service process ended without reporting SERVICE_STOPPED.
local function crashed(eid, svc, note, detail, remedy, count)
  return {
    key = eid .. "|" .. lower(svc), id = "evtx.service-crashed", severity = "error",
    title = string.format("Service %s terminated unexpectedly (SCM %d%s)", svc, eid, note),
    detail = string.format("The %s service terminated unexpectedly; it has done this %s", svc, detail),
    subjects = { svc }, count_field = count, remedy = remedy, next = "exit-code",
  }
end

scm(7031, function(ctx, r, p)
  return crashed(7031, p(1) or "?", "", string.format("%s time(s). Recovery action: %s after %s ms.",
      p(2) or "?", p(5) or "?", p(3) or "?"),
    "The service process crashed or exited without reporting SERVICE_STOPPED: look for an Application"
      .. " Error 1000 for its executable at the same time, and run it with `diagkit run exit-code`.",
    tonumber(p(2)))
end)

scm(7034, function(ctx, r, p)
  return crashed(7034, p(1) or "?", ", no recovery action",
    string.format("%s time(s), and no recovery action is configured.", p(2) or "?"),
    "Find why the process ended (Application Error 1000 at the same time, the service's log); set"
      .. " recovery actions (sc failure) if it should restart.")
end)

scm(7036, function(ctx, r, p)
  local svc = p(1) or "?"
  return {
    key = "7036|" .. lower(svc) .. "|" .. lower(p(2)), id = "evtx.service-state", severity = "info",
    title = string.format("Service %s entered the %s state (SCM 7036)", svc, p(2) or "?"),
    detail = string.format("State change of the %s service: %s.", svc, p(2) or "?"),
    subjects = { svc }, context_only = true,
  }
end)

H["microsoft-windows-resource-exhaustion-detector/2004"] = function(ctx, r)
  local procs = {}
  for i = 0, 9 do
    local name = r.data["ProcessInfo.Process_" .. i .. "_Name"]
    if not name then break end
    local charge = tonumber(r.data["ProcessInfo.Process_" .. i .. "_CommitCharge"] or "")
    procs[#procs + 1] = charge and string.format("%s (%.1f GiB)", name, charge / 2 ^ 30) or name
  end
  local limit = tonumber(r.data["SystemInfo.SystemCommitLimit"] or "")
  local charge = tonumber(r.data["SystemInfo.SystemCommitCharge"] or "")
  local subjects = {}
  for i = 0, 9 do subjects[#subjects + 1] = r.data["ProcessInfo.Process_" .. i .. "_Name"] end
  return {
    key = "2004", id = "evtx.low-memory", severity = "error",
    title = "Windows ran low on virtual memory (Resource-Exhaustion-Detector 2004)",
    detail = string.format("The commit charge reached the limit%s. Largest consumers: %s.",
      (limit and charge) and string.format(" (%.1f of %.1f GiB)", charge / 2 ^ 30, limit / 2 ^ 30) or "",
      #procs > 0 and table.concat(procs, ", ") or "not recorded"),
    subjects = subjects,
    remedy = "A process with a growing commit charge leaks memory; allocations then fail (STATUS_NO_MEMORY,"
      .. " ERROR_NOT_ENOUGH_MEMORY) in every program. Enlarge the page file only after finding the leak.",
  }
end

local KNOWN_IDS = { 1000, 1001, 1002, 1026, 2004, 7000, 7009, 7011, 7022, 7023, 7024, 7031, 7034, 7036 }

local function generic(ctx, r)
  local first = r.data_list[1] and r.data_list[1].value or ""
  return {
    key = lower(r.provider) .. "|" .. tostring(r.event_id) .. "|" .. lower(first),
    id = "evtx.event", severity = (r.level == 1 and "critical") or (r.level == 2 and "error")
      or (r.level == 3 and "warning") or "info",
    title = string.format("%s event %s", r.provider or "?", tostring(r.event_id)),
    detail = string.format("%s event %s%s.", r.provider or "?", tostring(r.event_id),
      first ~= "" and (": " .. first) or ""),
    subjects = { first },
  }
end

local function matches_program(case, r, program)
  if not program then return true end
  local want = lower(program):gsub("%.exe$", "")
  local function hit(s)
    s = lower(basename(s))
    return s ~= "" and (s == want or s:gsub("%.exe$", "") == want or s:find(want, 1, true) ~= nil)
  end
  for _, s in ipairs(case.subjects or {}) do
    if s and hit(s) then return true end
  end
  for _, d in ipairs(r.data_list) do
    if hit(d.value) then return true end
  end
  return false
end

return diagkit.playbook {
  id = "event-log",
  title = "What the Windows event logs say about a crash, hang or service failure",
  summary = "Lists Application Error 1000, WER 1001, .NET 1026, Application Hang 1002, Service Control"
    .. " Manager 7000-7036 and low-memory 2004 events from .evtx files, decodes their codes and groups repeats.",
  description = "Reads .evtx files on any OS (copy them off the machine, or export them with"
    .. " `wevtutil epl Application app.evtx`). On Windows without -p log it queries the live Application and"
    .. " System channels (EvtQuery). Exception codes and %%N insertion strings are decoded through diagkit.codes.",
  platforms = { "linux", "windows" },
  tags = { "windows", "event-log", "crash", "service" },
  symptoms = { "crash", "no output", "service stops" },
  params = {
    log = { type = "list", help = "the .evtx files to read (comma-separated)" },
    program = { type = "string", help = "only events about this program or service (e.g. crasher.exe)" },
    provider = { type = "string", help = "only events of this provider (then any event id is listed)" },
    event_id = { type = "list", help = "only these event ids (comma-separated; then any provider is listed)" },
    since = { type = "string", help = "only events at or after this time (ISO-8601, or 24h / 7d ago)" },
    max = { type = "int", default = 20, help = "at most this many groups of events in the report" },
  },
  examples = {
    "diagkit run event-log -p log=Application.evtx,System.evtx -p program=crasher.exe",
    "diagkit run event-log -p log=System.evtx -p provider='Service Control Manager'",
    "diagkit run event-log -p log=Application.evtx -p event_id=1000,1026 -p since=7d",
  },
  run = function(ctx, p)
    local evtx = ctx.evtx
    if not evtx then
      ctx:unknown("the diagkit.evtx module is not available in this build")
      return
    end
    local logs = p.log
    local live = false
    if not logs or #logs == 0 then
      local sys = ctx.sys and ctx.sys.platform() or {}
      if sys.os ~= "windows" then
        ctx:unknown("no event log given: pass -p log=Application.evtx,System.evtx (copied from the Windows"
          .. " machine, or exported there with `wevtutil epl Application Application.evtx`)")
        return
      end
      live = true
      logs = { "Application", "System" }
    end
    local filter = { xml = false }
    local explicit = p.provider ~= nil or p.event_id ~= nil
    if p.provider then filter.provider = p.provider end
    if p.event_id then
      filter.event_id = {}
      for _, s in ipairs(p.event_id) do
        local n = math.tointeger(tonumber(s))
        if not n then error("event_id: '" .. s .. "' is not a number", 0) end
        filter.event_id[#filter.event_id + 1] = n
      end
    elseif not p.provider then
      filter.event_id = KNOWN_IDS
    end
    if p.since then
      local n, unit = p.since:match("^(%d+)([smhdw])$")
      if n then
        local secs = tonumber(n) * ({ s = 1, m = 60, h = 3600, d = 86400, w = 604800 })[unit]
        filter.since = evtx.time((os.time() - secs) * 10000000 + 116444736000000000)
      elseif evtx.parse_time(p.since) then
        filter.since = p.since
      else
        error("since: '" .. p.since .. "' is not an ISO-8601 time or a duration like 7d", 0)
      end
    end

    local groups, order = {}, {}
    local scanned = {}
    local function consider(r, source)
      local h = H[lower(r.provider or r.event_source) .. "/" .. tostring(r.event_id)]
      local case = h and h(ctx, r) or (explicit and generic(ctx, r)) or nil
      if case and r.rendering and r.rendering.Message and r.rendering.Message ~= "" then
        -- forwarded events carry the text the source machine rendered
        case.detail = case.detail .. " Message on " .. (r.computer or "the source") .. ": " .. r.rendering.Message
      end
      if case and matches_program(case, r, p.program) then
        local g = groups[case.key]
        if not g then
          g = { case = case, count = 0, records = {}, sources = {} }
          groups[case.key] = g
          order[#order + 1] = g
        end
        g.count = g.count + 1
        g.case = case -- the latest record's details (restart counts grow)
        g.first = (not g.first or r.time < g.first) and r.time or g.first
        g.last = (not g.last or r.time > g.last) and r.time or g.last
        if #g.records < 5 then g.records[#g.records + 1] = r.record_id end
        g.sources[source] = true
      end
    end
    -- Logs that could not be read: a warning each when others were read, and
    -- "could not diagnose" (exit 3) when none was.
    local unread = {}
    local function unreadable(what, err, code)
      -- the channel the file is named after (System.evtx -> System), for the remedy
      local channel = tostring(what):match("([%w%-]+)%.[eE][vV][tT][xX]$") or (live and what) or "Application"
      unread[#unread + 1] = {
        id = "evtx.unreadable", severity = "warning", title = "Cannot read the event log " .. what,
        detail = tostring(err) .. (code and (" [" .. code .. "]") or ""),
        evidence = { { kind = "log", value = what, source = live and "EvtQuery" or "evtx.open" } },
        remedy = string.format("Export the log on the Windows machine (wevtutil epl %s C:\\temp\\%s.evtx, as an"
          .. " administrator for Security) and pass the file with -p log=.", channel, channel),
      }
    end
    -- A .evtx file: its records through the filter. Returns true, or false,
    -- message, code when it cannot be opened.
    local function read_file(path, as)
      local f, err, code = evtx.open(path)
      if not f then return false, err, code end
      local info = f:info()
      local n = 0
      -- progress by chunk: records come out in file order
      local bar = progress.new { label = "event-log: " .. basename(path) .. " chunks", total = info.chunks }
      bar:update(0)
      for r in f:records(filter) do
        n = n + 1
        bar:update(r.chunk or 0, n .. " matched")
        consider(r, as or basename(path))
      end
      bar:done()
      local warnings = f:warnings()
      scanned[#scanned + 1] = { path = path, channel = as, records_matched_filter = n, dirty = info.dirty,
        chunks = info.chunks, warnings = #warnings }
      if #warnings > 0 then
        ctx:finding {
          id = "evtx.damaged", severity = "info",
          title = string.format("%s is damaged in places: %d part(s) skipped", basename(path), #warnings),
          detail = table.concat(warnings, "\n", 1, math.min(#warnings, 5)),
          evidence = { { kind = "file", value = path, source = "diagkit.evtx" } },
        }
      end
      f:close()
      return true
    end
    -- Where the event log service refuses a query (or does not answer, as
    -- under Wine), the channel's own file is the next best source.
    local function channel_file(channel)
      local root = os.getenv("SystemRoot") or os.getenv("windir")
      return root and (root .. "\\System32\\winevt\\Logs\\" .. channel .. ".evtx") or nil
    end
    for _, path in ipairs(logs) do
      if live then
        -- live channels through EvtQuery; the XPath narrows by event id, the filter does the rest
        local q = filter
        if filter.event_id then
          local terms = {}
          for _, id in ipairs(filter.event_id) do terms[#terms + 1] = "EventID=" .. id end
          q = { xpath = "*[System[(" .. table.concat(terms, " or ") .. ")]]", event_id = filter.event_id,
            provider = filter.provider, since = filter.since, xml = false }
        end
        local iter, state, init, closer = evtx.query(path, q)
        if not iter then
          local file = channel_file(path)
          local read, ferr = false, nil
          if file then read, ferr = read_file(file, path) end
          if read then
            ctx:say("event-log: %s: %s; read %s instead", path, tostring(state), file)
          else
            unreadable(path, tostring(state) .. (file and ("; and its file " .. tostring(ferr)) or ""), init)
          end
        else
          local n = 0
          local bar = progress.new { label = "event-log: " .. path }
          local ok, err = pcall(function()
            for r in iter, state, init, closer do
              n = n + 1
              bar:update(n, "events")
              consider(r, path)
            end
          end)
          bar:done()
          if not ok then unreadable(path, tostring(err)) end
          scanned[#scanned + 1] = { channel = path, records_matched_filter = n }
        end
      else
        local ok, err, code = read_file(path)
        if not ok then unreadable(basename(path), err, code) end
      end
    end
    ctx:fact("evtx.logs", scanned)
    ctx:fact("evtx.groups", #order)
    if #scanned == 0 and #unread > 0 then
      local why = {}
      for _, u in ipairs(unread) do why[#why + 1] = u.detail end
      ctx:unknown("could not read any of the event logs given: " .. table.concat(why, "; "))
      return
    end
    for _, u in ipairs(unread) do ctx:finding(u) end

    -- errors first, then by count; context-only events (7036) only when nothing else matched
    local rank = { critical = 4, error = 3, warning = 2, info = 1 }
    table.sort(order, function(a, b)
      local ra, rb = rank[a.case.severity], rank[b.case.severity]
      if ra ~= rb then return ra > rb end
      if a.count ~= b.count then return a.count > b.count end
      return a.first < b.first
    end)
    local shown = 0
    local only_context = true
    for _, g in ipairs(order) do
      if not g.case.context_only then only_context = false end
    end
    for _, g in ipairs(order) do
      local c = g.case
      if shown >= p.max then break end
      if not c.context_only or only_context or explicit then
        shown = shown + 1
        local srcs = {}
        for s in pairs(g.sources) do srcs[#srcs + 1] = s end
        table.sort(srcs)
        local when = g.count == 1 and ("at " .. g.first)
          or string.format("%d times between %s and %s", g.count, g.first, g.last)
        local evidence = {
          { kind = "event", value = string.format("%s, %s (record ids %s%s)", c.title:match("%(([^)]*)%)$") or c.id,
            when, table.concat(g.records, ", "), g.count > #g.records and ", ..." or ""),
            source = table.concat(srcs, ", ") },
        }
        if c.code then
          evidence[#evidence + 1] = { kind = "code", value = code_text(c.code), source = c.code.source }
        end
        ctx:finding {
          id = c.id, severity = c.severity,
          title = g.count > 1 and (c.title .. string.format(" - %d times", g.count)) or c.title,
          detail = c.detail .. (g.count > 1 and string.format(" Seen %s.", when) or ""),
          evidence = evidence, remedy = c.remedy, next = c.next,
          refs = { "https://learn.microsoft.com/windows/win32/eventlog/event-logging" },
        }
      end
    end
    if #order == 0 then
      ctx:fact("evtx.summary", "no matching events")
    end
  end,
}
