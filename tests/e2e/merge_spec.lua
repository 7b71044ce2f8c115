-- `diagkit merge` on reports written by real `diagkit run exit-code --format json`
-- runs of the crashers, one file per "host" as examples/ansible/ fetches them.
local cli = require "cli_helper"
local json = require "diagkit.json"

describe("diagkit merge", function()
  local dir
  local files = {}

  -- diagkit run exit-code --format json -o <dir>/<host>.json -- argv...
  local function run_on(host, argv)
    local path = dir .. "/" .. host .. ".json"
    local args = { "run", "exit-code", "--format", "json", "-o", path, "--" }
    for _, a in ipairs(argv) do args[#args + 1] = a end
    local r = cli.run(args)
    assert.truthy(r.code == 0 or r.code == 1 or r.code == 2, r.stderr)
    files[#files + 1] = path
    return path
  end

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p '" .. dir .. "'"))
    run_on("web1", { cli.crasher("segv") })
    run_on("web2", { cli.crasher("segv") })
    run_on("web3", { cli.crasher("exit42") })
    run_on("db1", { "true" })
  end)

  teardown(function()
    for _, p in ipairs(files) do os.remove(p) end
    os.remove(dir .. "/bad.json")
    os.remove(dir)
  end)

  it("prints which hosts have which findings and exits with the worst status", function()
    local r = cli.run({ "merge", "--by-file", files[1], files[2], files[3], files[4] })
    assert.are.equal(2, r.code, r.stderr)
    assert.are.equal("", r.stderr)
    local out = r.stdout
    assert.truthy(out:find("\nexit%.signal%.sigsegv%s+error%s+2%s+The program crashed with a segmentation fault"), out)
    assert.truthy(out:find("on: web1, web2", 1, true), out)
    assert.truthy(out:find("\nexit%.nonzero%s+error%s+1%s+The program exited with status 42"), out)
    assert.truthy(out:find("\ndb1%s+ok%s+0%s+0%s+1%s+exit%.success\n"), out)
    assert.truthy(out:find("\nweb3%s+error%s+1%s+0%s+0%s+exit%.nonzero\n"), out)
    assert.truthy(out:find("Status: ERROR (4 report(s) from 4 host(s): 3 error, 0 warning, 0 unknown, 1 ok)", 1, true), out)
  end)

  it("gives the same summary as JSON", function()
    local r = cli.run({ "merge", "--by-file", "--format", "json", files[4], files[1], files[2] })
    assert.are.equal(2, r.code, r.stderr)
    local m = assert(json.decode(r.stdout))
    assert.are.equal("diagkit.merge/1", m.schema)
    assert.are.equal("error", m.status)
    assert.are.equal(3, m.reports)
    assert.are.equal("exit.signal.sigsegv", m.findings[1].id)
    assert.are.same({ "web1", "web2" }, { m.findings[1].hosts[1], m.findings[1].hosts[2] })
    assert.are.equal("db1", m.hosts[#m.hosts].name)
    assert.are.equal(0, m.hosts[#m.hosts].exit_status)
  end)

  it("uses the hostname inside the reports by default", function()
    local r = cli.run({ "merge", "--format", "json", files[1], files[4] })
    local m = assert(json.decode(r.stdout))
    local p = assert(io.popen("hostname", "r"))
    local hostname = p:read("l")
    p:close()
    assert.are.equal(1, #m.hosts) -- every run was on this machine
    assert.are.equal(hostname, m.hosts[1].name)
    assert.are.equal(2, #m.hosts[1].reports)
  end)

  it("exits 0 when every host is fine", function()
    local r = cli.run({ "merge", files[4] })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("Status: OK", 1, true))
  end)

  it("names a file that is not a report and exits 64", function()
    local bad = dir .. "/bad.json"
    local f = assert(io.open(bad, "wb"))
    -- what a host prints when diagkit is missing there
    f:write("/bin/sh: 1: diagkit: not found\n")
    f:close()
    local r = cli.run({ "merge", files[1], bad })
    assert.are.equal(64, r.code)
    assert.are.equal("", r.stdout)
    assert.truthy(r.stderr:find(bad .. ": not JSON", 1, true), r.stderr)
    r = cli.run({ "merge", dir .. "/missing.json" })
    assert.are.equal(64, r.code)
    assert.truthy(r.stderr:find("missing.json", 1, true), r.stderr)
    r = cli.run({ "merge" })
    assert.are.equal(64, r.code)
  end)
end)
