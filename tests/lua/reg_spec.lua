-- diagkit.reg on hives built at test time (tests/fixtures/reg/build.sh) and,
-- when ../shared/data/registry exists, on real hives (decompressed to a
-- temporary folder, never copied into the repository).
require "diagkit"
local reg = require "diagkit.reg"
local access = require "diagkit.access"
local U = require "spec_util"

local src, shared = U.src, U.shared .. "/registry"

local sh, q = U.ok, U.q

local tmp = os.tmpname()
os.remove(tmp)
assert(sh("mkdir -p " .. q(tmp)))
local have_fixtures = sh("sh " .. q(src .. "/tests/fixtures/reg/build.sh") .. " " .. q(tmp .. "/fx") .. " >/dev/null 2>&1")
local have_shared = sh("test -d " .. q(shared))

local function shared_hive(name)
  local out = tmp .. "/" .. name
  sh("mkdir -p " .. q(tmp))
  if not sh("test -f " .. q(out)) then
    assert(sh("xz -dc " .. q(shared .. "/" .. name .. ".xz") .. " > " .. q(out)))
  end
  return out
end

describe("diagkit.reg (script-built hive)", function()
  local h
  before_each(function()
    if not have_fixtures then return end
    h = assert(reg.open(tmp .. "/fx/sample.hive"))
  end)
  after_each(function() if h then h:close() end end)

  local function need()
    if not have_fixtures then
      pending("hivexregedit is needed to build the fixture hives (apt-get install libwin-hivex-perl)")
      return false
    end
    return true
  end

  it("reads the base block", function()
    if not need() then return end
    local i = h:info()
    assert.is_false(i.dirty)
    assert.is_true(i.checksum_ok)
    assert.are.equal("1.3", i.version)
    assert.are.same({}, i.errors)
  end)

  it("decodes every value type", function()
    if not need() then return end
    local vals = {}
    for _, v in ipairs(h:values("ControlSet001\\Services\\DemoSvc")) do vals[v.name] = v end
    assert.are.equal("C:\\Program Files\\Demo\\demo.exe", vals.ImagePath.data)
    assert.are.equal("REG_EXPAND_SZ", vals.ImagePath.type)
    assert.are.equal(2, vals.Start.data)
    assert.are.equal("REG_DWORD", vals.Start.type)
    assert.are.same({ "RpcSs", "Tcpip" }, vals.DependOnService.data)
    assert.are.equal("REG_BINARY", vals.FailureActions.type)
    assert.are.equal(44, vals.FailureActions.size)
    assert.are.equal("8051010000000000", vals.FailureActions.hex:sub(1, 16))
    assert.are.equal(0x100001000, vals.Quota.data)
    assert.are.equal(0x00000102, vals.BigEndian.data)
    assert.are.equal("REG_NONE", vals.Nothing.type)
    assert.are.equal("default", vals[""].data)
    assert.are.equal(42, vals['Quote"And\\Slash'].data)
    assert.are.equal("0102", vals.Short.hex) -- a 2-byte DWORD is shown raw
  end)

  it("looks keys and values up case-insensitively, with CurrentControlSet", function()
    if not need() then return end
    local v = assert(h:value("currentcontrolset\\SERVICES\\demosvc", "objectname"))
    assert.are.equal("NT AUTHORITY\\LocalService", v.data)
    local k = assert(h:key("CurrentControlSet/Services/DemoSvc"))
    assert.are.equal("DemoSvc", k.name)
    assert.are.equal(11, k.values)
    local v2 = assert(h:value("Software\\Vendor", "Größe"))
    assert.are.equal("Ä", v2.data)
    assert.are.equal(32, h:value("Software\\Wow6432Node\\Vendor", "Bits").data)
    local bytes, t = h:raw("ControlSet001\\Services\\DemoSvc", "FailureActions")
    assert.are.equal(3, t)
    assert.are.equal(44, #bytes)
  end)

  it("reads the 32-bit (Wow6432Node) view", function()
    if not need() then return end
    assert.are.equal(64, h:view())
    assert.are.equal(64, h:value("Software\\Vendor", "Bits").data)
    h:view(32)
    assert.are.equal(32, h:value("Software\\Vendor", "Bits").data)
    assert.are.equal(32, h:value("Software\\Wow6432Node\\Vendor", "Bits").data) -- explicit paths stay
    local _, _, code = h:key("Software\\Nope")
    assert.are.equal("ENOENT", code)
    local h32 <close> = assert(reg.open(tmp .. "/fx/sample.hive", { view = 32 }))
    assert.are.equal(32, h32:value("software/vendor", "Bits").data)
    assert.has_error(function() h:view(16) end)
  end)

  it("decodes a service's FailureActions", function()
    if not need() then return end
    local bytes = h:raw("CurrentControlSet\\Services\\DemoSvc", "FailureActions")
    local fa = assert(reg.failure_actions(bytes))
    assert.are.equal(86400, fa.reset_period_s)
    assert.are.same({ action = "restart", type = 1, delay_ms = 60000 }, fa.actions[1])
    assert.are.equal("restart", fa.actions[2].action)
    assert.are.equal("none", fa.actions[3].action)
    local r, msg, code = reg.failure_actions(bytes:sub(1, 30))
    assert.is_nil(r)
    assert.are.equal("DK_BAD_FORMAT", code)
    assert.truthy(msg:find("declares 3 actions", 1, true))
  end)

  it("returns nil, message, ENOENT for a missing key or value", function()
    if not need() then return end
    local r, msg, code = h:key("Software\\Nope")
    assert.is_nil(r)
    assert.are.equal("ENOENT", code)
    assert.truthy(msg:find("Nope", 1, true))
    r, msg, code = h:value("Software\\Vendor", "Missing")
    assert.is_nil(r)
    assert.are.equal("ENOENT", code)
  end)

  it("reads the key's security descriptor (sk) as SDDL", function()
    if not need() then return end
    local s = assert(h:security("Software"))
    assert.are.equal("O:BAG:SYD:(A;;KA;;;BA)(A;;KA;;;SY)(A;;KR;;;WD)", s.sddl)
    local r = access.evaluate(s.sddl, access.token("filtered-admin"), "KEY_SET_VALUE", "key")
    assert.is_false(r.allowed)
    r = access.evaluate(s.bytes, access.token("elevated-admin"), "KEY_SET_VALUE", "key")
    assert.is_true(r.allowed)
    assert.are.equal(0, r.grants[1].ace)
  end)

  it("walks with the generic for, lists subkeys, exports like hivexregedit", function()
    if not need() then return end
    local paths = {}
    for path, key in h:walk() do paths[#paths + 1] = path; assert.is_string(key.name) end
    assert.are.equal("\\", paths[1])
    assert.are.equal(9, #paths)
    assert.are.same({ "Vendor", "Wow6432Node" }, (function()
      local t = h:subkeys("Software"); table.sort(t); return t end)())
    local text, keys, values = h:export("Software\\Vendor")
    assert.are.equal(1, keys)
    assert.are.equal(2, values)
    assert.truthy(text:find("[\\Software\\Vendor]\n\"Bits\"=dword:00000040\n", 1, true))
  end)

  it("is a full userdata: tostring, close, to-be-closed", function()
    if not need() then return end
    assert.truthy(tostring(h):find("diagkit.reg hive", 1, true))
    do
      local h2 <close> = assert(reg.open(tmp .. "/fx/big.hive"))
      assert.are.equal(300, #h2:subkeys("Many"))
      assert.are.equal(20000, h2:value("Large", "Blob").size)
    end
    h:close()
    assert.has_error(function() h:info() end, "hive is closed")
    h = nil
  end)

  it("refuses what is not a hive with DK_BAD_FORMAT, a missing file with ENOENT", function()
    U.fails("DK_BAD_FORMAT", "README.md", reg.open, src .. "/README.md")
    U.fails("ENOENT", nil, reg.open, tmp .. "/none.hive")
  end)
end)

describe("diagkit.reg .reg text files", function()
  local fx = src .. "/tests/fixtures/reg/"

  it("reads hivexregedit's export back: every value equal to the hive's", function()
    if not have_fixtures then return pending("hivexregedit is needed to build the fixture hive") end
    local h <close> = assert(reg.open(tmp .. "/fx/sample.hive"))
    local text = h:export()
    local rt = assert(reg.parse_reg(text))
    assert.are.equal("regedit5", rt.format)
    assert.are.same({}, rt.errors)
    local n = 0
    for _, k in ipairs(rt.keys) do
      local byname = {}
      for _, v in ipairs(assert(h:values(k.path))) do byname[v.name] = v end
      for _, v in ipairs(k.values) do
        local hv = assert(byname[v.name], k.path .. " " .. v.name)
        assert.are.equal(hv.type_id, v.type_id)
        assert.are.same(hv.data or hv.hex, v.data or v.hex)
        n = n + 1
      end
    end
    assert.are.equal(16, n)
  end)

  it("reads UTF-16LE regedit 5 files", function()
    local text = "\255\254" .. ("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\X]\r\n\"Größe\"=\"ä\"\r\n")
      :gsub("[\1-\127]", function(c) return c .. "\0" end)
    -- the non-ASCII letters, as UTF-16LE
    text = text:gsub("\195\182", "\246\0"):gsub("\195\159", "\223\0"):gsub("\195\164", "\228\0")
    local rt = assert(reg.parse_reg(text))
    assert.are.equal("HKEY_CURRENT_USER\\X", rt.keys[1].path)
    assert.are.equal("Größe", rt.keys[1].values[1].name)
    assert.are.equal("ä", rt.keys[1].values[1].data)
  end)

  it("reads Wine's system.reg (escaped key paths, str(N):, continuations)", function()
    local rt = assert(reg.load_reg(fx .. "wine_system.reg"))
    assert.are.equal("wine", rt.format)
    assert.are.equal("\\Machine", rt.relative_to)
    local svc = rt.keys[2]
    assert.are.equal("System\\CurrentControlSet\\Services\\DemoSvc", svc.path)
    local v = {}
    for _, x in ipairs(svc.values) do v[x.name] = x end
    assert.are.same({ "RpcSs", "Tcpip" }, v.DependOnService.data)
    assert.are.equal("REG_EXPAND_SZ", v.ImagePath.type)
    assert.are.equal("%SystemRoot%\\system32\\demo.exe", v.ImagePath.data)
    assert.are.equal(3, v.Start.data)
    assert.are.equal("C:\\dir\\x", v['Path"Quoted"'].data)
    assert.are.equal("0102030405", v.Blob.hex)
    assert.are.equal("line1\nline2\ttab\u{e9}", v.Escaped.data)
  end)

  it("reads REGEDIT4 (8-bit strings), deletions, and names bad lines", function()
    local rt = assert(reg.load_reg(fx .. "regedit4.reg"))
    assert.are.equal("regedit4", rt.format)
    local v = {}
    for _, x in ipairs(rt.keys[1].values) do v[x.name] = x end
    assert.are.equal("café", v.Name.data)
    assert.are.equal("%PATH%", v.Exp.data)
    assert.is_true(v.Gone.deleted)
    assert.is_true(rt.keys[2].deleted)
    assert.are.same({ "line 10: unterminated value name" }, rt.errors)
  end)

  it("refuses what is not a registry file", function()
    U.fails("DK_BAD_FORMAT", "line 1 is 'hello'", reg.parse_reg, "hello\nworld")
    U.fails("DK_BAD_FORMAT", "no header line", reg.parse_reg, "\n\n")
    U.fails("ENOENT", nil, reg.load_reg, fx .. "missing.reg")
  end)
end)

describe("diagkit.reg (real hives from ../shared/data/registry)", function()
  teardown(function() sh("rm -rf " .. q(tmp)) end)
  local function need()
    if not have_shared then
      pending("../shared/data/registry is absent: real-hive cases skipped")
      return false
    end
    return true
  end

  it("resolves CurrentControlSet in SYSTEM and reads a service", function()
    if not need() then return end
    local h <close> = assert(reg.open(shared_hive("SYSTEM")))
    local fa = h:raw("CurrentControlSet\\Services\\Dhcp", "FailureActions")
    if fa then assert(reg.failure_actions(fa)) end
    local svc = assert(h:values("CurrentControlSet\\Services\\Tcpip"))
    local byname = {}
    for _, v in ipairs(svc) do byname[v.name] = v end
    assert.is_string(byname.ImagePath.data)
    assert.is_number(byname.Start.data)
    assert.truthy(assert(h:security("CurrentControlSet\\Services")).sddl:match("^O:"))
  end)

  it("detects a dirty hive", function()
    if not need() then return end
    local h <close> = assert(reg.open(shared_hive("transactions_NTUSER.DAT"), { replay = false }))
    local i = h:info()
    assert.is_true(i.dirty)
    assert.are.equal(567, i.primary_seq)
    assert.are.equal(566, i.secondary_seq)
  end)

  it("replays a dirty hive's transaction logs in memory", function()
    if not need() then return end
    local hive = shared_hive("transactions_NTUSER.DAT")
    for _, n in ipairs { "log1", "log2" } do
      assert(sh("xz -dc " .. q(shared .. "/transactions_ntuser.dat." .. n .. ".xz") .. " > " .. q(hive .. "." .. n:upper())))
    end
    local before = io.open(hive, "rb"):read("a")
    local h <close> = assert(reg.open(hive))
    local i = h:info()
    assert.are.equal(23, i.replay.entries)
    assert.are.equal(132, i.replay.pages) -- the dirty page count regipy reports for this sample
    assert.are.equal(566, i.replay.first_seq)
    assert.are.equal(588, i.replay.last_seq)
    assert.is_false(i.dirty)
    assert.are.equal(1, #i.errors) -- only the replay note: the result is a sound hive
    local _, keys = h:export()
    local raw <close> = assert(reg.open(hive, { replay = false }))
    local _, raw_keys = raw:export()
    assert.is_true(raw:info().dirty)
    assert.is_nil(raw:info().replay)
    assert.is_true(keys > raw_keys)
    assert.are.equal(before, io.open(hive, "rb"):read("a")) -- the input is never modified
  end)

  it("reads a damaged hive as far as it is sound, with its errors", function()
    if not need() then return end
    local h <close> = assert(reg.open(shared_hive("corrupted_system_hive")))
    local n = 0
    for _ in h:walk() do n = n + 1 end
    assert.is_true(n > 1000)
    local errs = h:errors()
    assert.is_true(#errs > 0)
    assert.truthy(errs[1]:find("0x", 1, true))
  end)
end)
