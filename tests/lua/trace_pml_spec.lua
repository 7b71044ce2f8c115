-- diagkit.trace on Process Monitor's native logs (.PML): the fixtures of
-- tests/fixtures/trace/make_pml.py, and Process Monitor's own capture in
-- ../shared/data/procmon compared event by event with its CSV export.
require "diagkit"
local trace = require "diagkit.trace"
local U = require "spec_util"

local src, shared = U.src, U.shared .. "/procmon"
local fixtures = src .. "/tests/fixtures/trace/"

local tmp
local sh, have, slurp = U.must, U.have, U.read

-- Every column of a Procmon CSV export, as a list of {name = value} rows.
local function csv_rows(text)
  local pos, n = 1, #text
  if text:sub(1, 3) == "\239\187\191" then pos = 4 end
  local rows, header = {}, nil
  while pos <= n do
    local fields = {}
    while true do
      local v
      if text:sub(pos, pos) == '"' then
        local buf, p = {}, pos + 1
        while true do
          local q = assert(text:find('"', p, true), "unterminated quote")
          buf[#buf + 1] = text:sub(p, q - 1)
          if text:sub(q + 1, q + 1) == '"' then
            buf[#buf + 1] = '"'
            p = q + 2
          else
            pos = q + 1
            break
          end
        end
        v = table.concat(buf)
      else
        local e = text:find("[,\r\n]", pos) or n + 1
        v = text:sub(pos, e - 1)
        pos = e
      end
      fields[#fields + 1] = v
      local c = text:sub(pos, pos)
      if c == "," then
        pos = pos + 1
      else
        if c == "\r" then pos = pos + 1 end
        if text:sub(pos, pos) == "\n" then pos = pos + 1 end
        break
      end
    end
    if not header then
      header = fields
    else
      local r = {}
      for i, h in ipairs(header) do r[h] = fields[i] end
      rows[#rows + 1] = r
    end
  end
  return rows
end

-- The fields both parsers give, compared event by event.
local SHARED_FIELDS = { "kind", "time", "process", "pid", "operation", "syscall", "path", "result", "errno",
  "exit_status", "exit_code" }

local function compare(pml, csv)
  assert.are.equal(#csv, #pml)
  local details = 0
  for i = 1, #pml do
    local a, b = pml[i], csv[i]
    for _, k in ipairs(SHARED_FIELDS) do
      if a[k] ~= b[k] then
        error(string.format("event %d: %s is %s in the PML, %s in the CSV", i, k, tostring(a[k]), tostring(b[k])))
      end
    end
    if a.detail then
      details = details + 1
      assert.are.equal(b.detail, a.detail, "event " .. i)
    end
  end
  assert.is_true(details > 0)
end

describe("trace.pml", function()
  setup(function() tmp = U.tmpdir() end)
  teardown(function() U.rmrf(tmp) end)

  it("has fixtures that make_pml.py writes byte for byte", function()
    if not have("python3") then return pending("python3 is not installed") end
    sh(string.format("python3 '%smake_pml.py' '%s/gen'", fixtures, tmp))
    for _, name in ipairs { "small64.pml", "small32.pml", "small.csv" } do
      assert.is_true(slurp(fixtures .. name) == slurp(tmp .. "/gen/" .. name), name .. " differs from the generator's")
    end
  end)

  for _, bits in ipairs { 64, 32 } do
    it("reads the " .. bits .. "-bit fixture like its CSV export", function()
      local ev, st = assert(trace.pml(fixtures .. "small" .. bits .. ".pml"))
      assert.are.equal(14, #ev)
      assert.are.equal(14, st.events)
      assert.are.equal(9, st.version)
      assert.are.equal(bits, st.bits)
      assert.are.equal("TESTHOST", st.computer)
      assert.are.equal("10.0.19041", st.os_version)
      assert.are.equal(2, #st.processes)
      local app = st.processes[2]
      assert.are.equal("app.exe", app.name)
      assert.are.equal(4242, app.pid)
      assert.are.equal(1000, app.parent_pid)
      assert.are.equal('"C:\\app\\app.exe" --run', app.command_line)
      assert.are.equal("HOST\\alice", app.user)
      assert.are.equal("High", app.integrity)
      assert.are.equal(bits == 64 and "64-bit" or "32-bit", app.architecture)
      assert.are.equal(2, app.modules)

      local cfg = ev[5]
      assert.are.equal("CreateFile", cfg.operation)
      assert.are.equal("File System", cfg.event_class)
      assert.are.equal("C:\\app\\config.ini", cfg.path)
      assert.are.equal("NAME NOT FOUND", cfg.errno)
      assert.are.equal(0xC0000034, cfg.status)
      assert.are.equal(5000, cfg.tid)
      assert.are.equal(5, cfg.line)
      assert.are.equal(0.000152, cfg.duration)
      assert.are.equal(app, cfg.process_info) -- one shared table per process
      local exit = ev[14]
      assert.are.equal("Process Exit", exit.operation)
      assert.are.equal(-1073741515, exit.exit_status)
      assert.are.equal(0xC0000135, exit.exit_code)
      assert.are.equal("STATUS_DLL_NOT_FOUND", require("diagkit.codes").lookup(exit.exit_status)[1].name)

      local csv = assert(trace.procmon_csv(fixtures .. "small.csv"))
      compare(ev, csv)
      -- trace.failures works on both the same way
      local fp, fc = trace.failures(ev), trace.failures(csv)
      assert.are.equal(#fc, #fp)
      assert.are.equal(2, #fp)
      assert.are.equal("C:\\app\\config.ini", fp[1].path)
      assert.are.equal("NAME NOT FOUND", fp[1].errno)
      assert.are.equal("HKLM\\SOFTWARE\\Vendor\\App", fp[2].path)
      assert.are.equal("ACCESS DENIED", fp[2].errno)
      for i = 1, #fp do
        assert.are.equal(fc[i].path, fp[i].path)
        assert.are.equal(fc[i].errno, fp[i].errno)
        assert.are.equal(fc[i].count, fp[i].count)
      end
    end)
  end

  it("reads bytes with trace.parse_pml, and keeps only events with a path (and exits) with paths_only", function()
    local bytes = slurp(fixtures .. "small64.pml")
    local a = assert(trace.parse_pml(bytes))
    local b = assert(trace.pml(fixtures .. "small64.pml"))
    assert.are.equal(#b, #a)
    for i = 1, #a do assert.are.equal(b[i].path, a[i].path) end
    local p = assert(trace.parse_pml(bytes, { paths_only = true }))
    assert.are.equal(10, #p) -- 9 events with a path and the Process Exit
    for _, e in ipairs(p) do assert.is_true(e.path ~= nil or e.exit_status ~= nil) end
  end)

  it("refuses damaged logs with nil, a message naming the byte, DK_BAD_FORMAT", function()
    local bytes = slurp(fixtures .. "small64.pml")
    local ev, msg, code = trace.parse_pml("hello")
    assert.is_nil(ev)
    assert.are.equal("DK_BAD_FORMAT", code)
    assert.truthy(msg:find("not a Process Monitor log", 1, true), msg)
    for _, cut in ipairs { 3, 100, 0x3A8, 1200, #bytes // 2, #bytes - 1 } do
      ev, msg, code = trace.parse_pml(bytes:sub(1, cut))
      assert.is_nil(ev, "cut at " .. cut)
      assert.are.equal("DK_BAD_FORMAT", code)
      assert.truthy(msg:find("byte", 1, true), msg)
    end
    -- the event count made huge
    local bad = bytes:sub(1, 0x234) .. string.pack("<I4", 0x10000000) .. bytes:sub(0x239)
    ev, msg = trace.parse_pml(bad)
    assert.is_nil(ev)
    assert.truthy(msg:find("do not fit", 1, true), msg)
    ev, msg, code = trace.pml(tmp .. "/none.pml")
    assert.is_nil(ev)
    assert.are.equal("ENOENT", code)
    assert.has_error(function() trace.pml() end)
    assert.has_error(function() trace.parse_pml({}) end)
  end)

  it("reads Process Monitor's own capture exactly as its CSV export says", function()
    local xz = shared .. "/UTC64Process.pml.xz"
    if not io.open(xz) then return pending("../shared/data/procmon is absent: the real PML capture is skipped") end
    if not have("xz") then return pending("xz is not installed (apt install xz-utils)") end
    sh(string.format("xz -dc '%s' > '%s/p.pml'", xz, tmp))
    sh(string.format("xz -dc '%s/UTC64Process.csv.xz' > '%s/p.csv'", shared, tmp))
    local ev, st = assert(trace.pml(tmp .. "/p.pml"))
    local csv = assert(trace.procmon_csv(tmp .. "/p.csv"))
    assert.are.equal(3400, #ev) -- the README's count
    assert.are.equal("DESKTOP-6PCIALL", st.computer)
    compare(ev, csv)
    -- the columns the CSV parser does not read, from the raw CSV
    local rows = csv_rows(slurp(tmp .. "/p.csv"))
    assert.are.equal(#ev, #rows)
    for i, e in ipairs(ev) do
      local r, p = rows[i], e.process_info
      local want = {
        { "TID", tostring(e.tid) }, { "Event Class", e.event_class }, { "Image Path", p.image_path },
        { "Command Line", p.command_line }, { "User", p.user }, { "Integrity", p.integrity },
        { "Parent PID", tostring(p.parent_pid) }, { "Architecture", p.architecture },
        { "Session", tostring(p.session) }, { "Authentication ID", p.auth_id }, { "Company", p.company },
        { "Description", p.description }, { "Version", p.version },
        { "Duration", string.format("%.7f", e.duration) },
      }
      for _, kv in ipairs(want) do
        if r[kv[1]] ~= kv[2] then
          error(string.format("event %d: %s is %q in the PML, %q in the CSV", i, kv[1], kv[2], r[kv[1]]))
        end
      end
    end
    local fp, fc = trace.failures(ev, { keep_noise = true, keep_probes = true, keep_searched = true }),
      trace.failures(csv, { keep_noise = true, keep_probes = true, keep_searched = true })
    assert.are.equal(#fc, #fp)
  end)
end)
