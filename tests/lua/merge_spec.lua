-- diagkit merge (scripts/diagkit/commands/merge.lua) on reports made by real
-- runs of the exit-code and go-crash playbooks (real programs, real proc),
-- written to files as `--format json` writes them, then merged.
require "diagkit"
local playbook = require "diagkit.playbook"
local json = require "diagkit.json"
local format_json = require "diagkit.format.json"
local merge = require "diagkit.commands.merge"

local tmpfiles = {}

-- A real report of `diagkit run <id>` as JSON text, with the host renamed
-- (every run here is on this machine; a fleet has many hostnames).
local function real_report(id, raw, hostname)
  local rep = assert(playbook.run(assert(playbook.find(id)), raw))
  rep.host.hostname = hostname
  return format_json.render(rep)
end

local function write(name, text)
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p '" .. dir .. "'"))
  local path = dir .. "/" .. name
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  tmpfiles[#tmpfiles + 1] = path
  tmpfiles[#tmpfiles + 1] = dir
  return path
end

local function load_all(paths)
  local items = {}
  for _, p in ipairs(paths) do items[#items + 1] = { path = p, report = assert(merge.load(p)) } end
  return items
end

describe("diagkit merge", function()
  local ok_text, crash_text, fail_text, unknown_text

  setup(function()
    ok_text = real_report("exit-code", { argv = { "true" } }, "db1")
    crash_text = real_report("exit-code", { argv = { "sh", "-c", "kill -SEGV $$" } }, "web1")
    fail_text = real_report("exit-code", { argv = { "false" } }, "web2")
    unknown_text = real_report("go-crash", { log = "/nonexistent/diagkit-merge-spec.log" }, "web3")
  end)

  teardown(function()
    for _, p in ipairs(tmpfiles) do os.remove(p) end
  end)

  it("loads the reports the playbooks really wrote", function()
    local rep = assert(merge.load(write("a.json", crash_text)))
    assert.are.equal("web1", rep.host.hostname)
    assert.are.equal("exit.signal.sigsegv", rep.findings[1].id)
    assert.are.equal("unknown", assert(merge.load(write("u.json", unknown_text))).status)
  end)

  it("groups findings by id with the hosts that have them, worst first", function()
    local crash2 = real_report("exit-code", { argv = { "sh", "-c", "kill -SEGV $$" } }, "web4")
    local m = merge.merge(load_all {
      write("db1.json", ok_text), write("web1.json", crash_text), write("web2.json", fail_text),
      write("web4.json", crash2),
    })
    assert.are.equal("diagkit.merge/1", m.schema)
    assert.are.equal(4, m.reports)
    assert.are.equal("error", m.status)
    assert.are.equal(2, m.exit_status)
    -- the crash is on two hosts, so it comes before the single 'false'
    assert.are.equal("exit.signal.sigsegv", m.findings[1].id)
    assert.are.same({ "web1", "web4" }, { m.findings[1].hosts[1], m.findings[1].hosts[2] })
    assert.are.equal(2, m.findings[1].host_count)
    assert.are.equal(2, m.findings[1].occurrences)
    assert.are.equal("exit.nonzero", m.findings[2].id)
    assert.are.equal("exit.success", m.findings[#m.findings].id)
    assert.are.equal("info", m.findings[#m.findings].severity)
    -- hosts: worst status first, then by name
    local names = {}
    for i, h in ipairs(m.hosts) do names[i] = h.name end
    assert.are.same({ "web1", "web2", "web4", "db1" }, names)
    assert.are.equal(1, m.hosts[1].counts.error)
    assert.are.equal(0, m.hosts[1].counts.warning)
    assert.are.equal("ok", m.hosts[4].status)
    assert.are.equal(1, m.hosts[4].counts.info)
  end)

  it("puts several reports of one host in one row", function()
    local m = merge.merge(load_all { write("x.json", ok_text), write("y.json", unknown_text),
      write("z.json", real_report("exit-code", { argv = { "false" } }, "db1")) })
    assert.are.equal(2, #m.hosts)
    local db1 = m.hosts[1]
    assert.are.equal("db1", db1.name)
    assert.are.equal("error", db1.status) -- ok + error
    assert.are.equal(2, #db1.reports)
    assert.are.same({ "exit.nonzero", "exit.success" }, { db1.findings[1], db1.findings[2] })
  end)

  it("exits with the worst status; an error anywhere outweighs a host it could not diagnose", function()
    local function status(texts)
      local paths = {}
      for i, t in ipairs(texts) do paths[i] = write(i .. ".json", t) end
      local m = merge.merge(load_all(paths))
      return m.status, m.exit_status
    end
    assert.are.same({ "ok", 0 }, { status { ok_text } })
    assert.are.same({ "unknown", 3 }, { status { ok_text, unknown_text } })
    assert.are.same({ "error", 2 }, { status { unknown_text, crash_text, ok_text } })
  end)

  it("names hosts by file with by_file, and when a report has no hostname", function()
    local m = merge.merge(load_all { write("web7.json", crash_text) }, { by_file = true })
    assert.are.equal("web7", m.hosts[1].name)
    local rep = json.decode(ok_text)
    rep.host.hostname = nil
    m = merge.merge(load_all { write("nohost.json", json.encode(rep)) })
    assert.are.equal("nohost", m.hosts[1].name)
  end)

  it("renders one table of findings and one of hosts", function()
    local m = merge.merge(load_all { write("db1.json", ok_text), write("web1.json", crash_text) })
    local text = merge.render_text(m)
    assert.truthy(text:find("FINDING%s+SEVERITY%s+HOSTS%s+TITLE"))
    assert.truthy(text:find("\nexit%.signal%.sigsegv%s+error%s+1%s+The program crashed"))
    assert.truthy(text:find("on: web1", 1, true))
    assert.truthy(text:find("\nweb1%s+error%s+1%s+0%s+0%s+exit%.signal%.sigsegv\n"))
    assert.truthy(text:find("\ndb1%s+ok%s+0%s+0%s+1%s+exit%.success\n"))
    assert.truthy(text:find("Status: ERROR (2 report(s) from 2 host(s): 1 error, 0 warning, 0 unknown, 1 ok)", 1, true))
    -- the JSON form survives a round trip
    local back = assert(json.decode(json.encode(m)))
    assert.are.equal("web1", back.hosts[1].name)
  end)

  it("says which file is not a report, and why", function()
    local function err_of(name, text)
      local path = write(name, text)
      local rep, err = merge.load(path)
      assert.is_nil(rep)
      assert.truthy(err:find(path, 1, true), err)
      return err
    end
    assert.truthy(err_of("empty.json", "\n"):find("empty file", 1, true))
    assert.truthy(err_of("text.json", "Status: OK\n"):find("not JSON: json: unexpected character at line 1", 1, true))
    assert.truthy(err_of("arr.json", "[1,2]"):find("not a JSON object", 1, true))
    assert.truthy(err_of("other.json", '{"schema":"x/1"}'):find("schema is 'x/1', not diagkit.report/1", 1, true))
    local rep = json.decode(crash_text)
    rep.exit_status = 0
    assert.truthy(err_of("mismatch.json", json.encode(rep)):find("exit_status 0 does not match status 'error'", 1, true))
    rep = json.decode(crash_text)
    rep.findings[1].severity = "fatal"
    assert.truthy(err_of("sev.json", json.encode(rep)):find("findings[1].severity 'fatal'", 1, true))
    rep = json.decode(crash_text)
    rep.findings = json.null
    assert.truthy(err_of("null.json", json.encode(rep)):find("findings is not an array", 1, true))
    local missing, err = merge.load("/nonexistent/diagkit/r.json")
    assert.is_nil(missing)
    assert.truthy(err:find("/nonexistent/diagkit/r.json", 1, true))
  end)

  it("accepts a report saved with a UTF-8 byte order mark", function()
    assert.truthy(merge.load(write("bom.json", "\239\187\191" .. ok_text)))
  end)
end)
