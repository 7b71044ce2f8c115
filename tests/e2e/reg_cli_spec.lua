-- `diagkit reg` on hives written by hivexregedit (tests/fixtures/reg/build.sh).
local cli = require "cli_helper"
local json = require "diagkit.json"

local tmp = os.tmpname()
os.remove(tmp)
local built = os.execute("sh '" .. cli.src .. "/tests/fixtures/reg/build.sh' '" .. tmp .. "' >/dev/null 2>&1")
local hive = tmp .. "/sample.hive"

local function need()
  if not built then
    pending("hivexregedit is needed to build the fixture hive (apt-get install libwin-hivex-perl)")
    return false
  end
  return true
end

describe("diagkit reg", function()
  teardown(function() os.execute("rm -rf '" .. tmp .. "'") end)

  it("exports the whole hive exactly as hivexregedit does", function()
    if not need() then return end
    local r = cli.run({ "reg", hive, "--format", "reg" })
    assert.are.equal(0, r.code, r.stderr)
    -- hivexregedit writes Latin-1 names ("Größe") as raw Latin-1 bytes;
    -- diagkit writes UTF-8. The fixture has no other non-ASCII text.
    local p = assert(io.popen("hivexregedit --export '" .. hive .. "' '\\' | iconv -f ISO-8859-1 -t UTF-8"))
    local want = p:read("a")
    p:close()
    assert.are.equal(want, r.stdout)
  end)

  it("lists every key path with --recursive --keys-only", function()
    if not need() then return end
    local r = cli.run({ "reg", hive, "-r", "--keys-only" })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("\n\\ControlSet001\\Services\\DemoSvc\n", 1, true), r.stdout)
    assert.falsy(r.stdout:find("REG_", 1, true))
  end)

  it("shows a key's values, through CurrentControlSet, as text and JSON", function()
    if not need() then return end
    local r = cli.run({ "reg", hive, "CurrentControlSet/Services/DemoSvc" })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("ImagePath", 1, true), r.stdout)
    local j = cli.run({ "reg", hive, "\\ControlSet001\\Services\\DemoSvc", "--format", "json", "--security" })
    assert.are.equal(0, j.code, j.stderr)
    local doc = assert(json.decode(j.stdout))
    assert.are.equal(1, #doc.keys)
    local names = {}
    for _, v in ipairs(doc.keys[1].value_list) do names[v.name] = v end
    assert.is_not_nil(names.ImagePath)
  end)

  it("fails with status 2 and one line for a missing key or a file that is not a hive", function()
    if not need() then return end
    local r = cli.run({ "reg", hive, "No\\Such\\Key" })
    assert.are.equal(2, r.code)
    assert.truthy(r.stderr:find("^diagkit reg: "), r.stderr)
    local bad = cli.run({ "reg", cli.src .. "/README.md" })
    assert.are.equal(2, bad.code)
    assert.truthy(bad.stderr:find("diagkit reg: ", 1, true))
    local usage = cli.run({ "reg" })
    assert.are.equal(64, usage.code)
  end)
end)
