-- The permissions playbook: real checks on a real tree (as root), the
-- offline Windows evaluation, and stale groups through a replaced module.
require "diagkit"
local playbook = require "diagkit.playbook"
local U = require "spec_util"
local access = require "diagkit.access"

local HOSTS = "O:SYG:SYD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)(A;ID;0x1200a9;;;AC)(A;ID;0x1200a9;;;S-1-15-2-2)"

local sh, q = U.ok, U.q
local is_root = io.popen("id -u"):read("l") == "0"

local function run(params, modules) return U.run_playbook("permissions", params, modules) end

describe("permissions playbook", function()
  local dir
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(sh("mkdir -p " .. q(dir .. "/srv/app/data") .. " && chmod 755 " .. q(dir) .. " " .. q(dir .. "/srv")
      .. " && chmod 750 " .. q(dir .. "/srv/app") .. " && echo x > " .. q(dir .. "/srv/app/data/db")))
  end)
  teardown(function() sh("rm -rf " .. q(dir)) end)

  it("exists: the exit-code playbook's next = 'permissions' resolves", function()
    local def = assert(playbook.find("permissions"))
    assert.are.equal("permissions", def.id)
  end)

  it("names the folder that blocks search and the smallest fix", function()
    if not is_root then return pending("needs root to check as another user") end
    local rep = run { path = dir .. "/srv/app/data/db", want = "read", user = "nobody" }
    local f = rep.findings[1]
    assert.are.equal("access.denied.search", f.id)
    assert.truthy(f.title:find(dir .. "/srv/app", 1, true))
    assert.are.equal("setfacl -m u:nobody:x " .. dir .. "/srv/app", f.remedy:match("^(setfacl %S+ %S+ %S+)"))
    assert.are.equal(false, rep.facts.access.allowed)
    -- the fix really works
    assert(sh("setfacl -m u:nobody:x " .. q(dir .. "/srv/app")))
    rep = run { path = dir .. "/srv/app/data/db", want = "read", user = "nobody" }
    assert.are.equal("access.allowed", rep.findings[1].id)
    assert(sh("setfacl -b " .. q(dir .. "/srv/app")))
  end)

  it("names an LSM denial when the bits allow but the program is refused", function()
    local log = U.tmpfile('type=AVC msg=audit(1700000000.1:42): avc:  denied  { read } for  pid=4211 comm="app" name="db" '
      .. 'dev="vda" ino=12 scontext=system_u:system_r:httpd_t:s0 tcontext=unconfined_u:object_r:user_home_t:s0 '
      .. 'tclass=file permissive=0\n')
    local rep = run { message = "open " .. dir .. "/srv/app/data/db: Permission denied", audit_log = log }
    os.remove(log)
    local fnd = rep.findings[1]
    assert.are.equal("access.denied.lsm", fnd.id) -- root may read it: the bits are not the cause
    assert.truthy(fnd.detail:find("SELinux", 1, true))
    assert.truthy(fnd.remedy:find("audit2why", 1, true))
    local lsm
    for _, e in ipairs(fnd.evidence) do if e.kind == "lsm-denial" then lsm = e end end
    assert.truthy(lsm.value:find("httpd_t", 1, true))
  end)

  it("runs a program and checks the paths its errors name", function()
    if not is_root then return pending("needs root") end
    local ran
    local fake_proc = { run = function(spec)
      ran = spec.argv
      return { status = "exited", exit_code = 1, stdout = "",
        stderr = "cat: " .. dir .. "/srv/app/data/db: Permission denied\n" }
    end }
    local rep = run({ argv = { "cat", dir .. "/srv/app/data/db" }, user = "nobody" }, { proc = fake_proc })
    assert.are.same({ "cat", dir .. "/srv/app/data/db" }, ran)
    assert.are.equal(1, rep.facts.exit.exit_code)
    assert.are.same({ dir .. "/srv/app/data/db" }, rep.facts.paths_named)
    assert.are.equal("access.denied.search", rep.findings[1].id)
    rep = run({ argv = { "true" } }, { proc = { run = function()
      return { status = "exited", exit_code = 0, stdout = "", stderr = "" } end } })
    assert.truthy(rep.unknowns[1]:find("no path to check", 1, true))
  end)

  it("checks the paths an error message names", function()
    if not is_root then return pending("needs root") end
    local rep = run { message = "open " .. dir .. "/srv/app/data/db: permission denied", user = "nobody" }
    assert.are.same({ dir .. "/srv/app/data/db" }, rep.facts.paths_named)
    assert.are.equal("access.denied.search", rep.findings[1].id)
  end)

  it("explains 'works only as administrator' with the filtered and elevated tokens", function()
    local rep = run { sddl = HOSTS, want = "write", path = "C:\\Windows\\System32\\drivers\\etc\\hosts" }
    local f = rep.findings[1]
    assert.are.equal("access.elevation-required", f.id)
    assert.truthy(f.detail:find("ACE #1 (A;ID;FA;;;BA) grants BA, and BA is deny-only", 1, true))
    rep = run { sddl = HOSTS, want = "read" }
    assert.are.equal("access.allowed", rep.findings[1].id)
    rep = run { sddl = HOSTS, want = "write", token = "user" }
    assert.are.equal("access.denied.no-grant", rep.findings[1].id)
    rep = run { sddl = "D:(D;;FA;;;WD)(A;;FA;;;WD)", want = "read", token = "elevated-admin" }
    assert.are.equal("access.denied.ace", rep.findings[1].id)
    rep = run { sddl = "D:(A;;FA;;;WD)S:(ML;;NW;;;SI)", want = "write", token = "elevated-admin" }
    assert.are.equal("access.denied.integrity", rep.findings[1].id)
    rep = run { sddl = "D:(A;;KA;;;BA)(A;;KR;;;BU)", object_type = "key", want = "write", path = "HKLM\\SOFTWARE\\Vendor" }
    assert.are.equal("access.elevation-required", rep.findings[1].id)
    assert.truthy(rep.findings[1].detail:find("HKCU", 1, true))
    rep = run { sddl = "D:(A;;FA;;;QQ)" }
    assert.are.equal("access.bad-sddl", rep.findings[1].id)
  end)

  it("catches stale supplementary groups of a running process", function()
    -- The process (pid 4211) lacks group 1002 that the group database now gives its user.
    local fake = {
      credentials = function(opts)
        assert.are.equal("svc", opts.user)
        return { uid = 998, gid = 998, groups = { 998, 1002 }, name = "svc", source = "user database" }
      end,
      check = function(path, want, opts)
        local fresh = opts.user == "svc"
        return {
          allowed = fresh, errno = (not fresh) and "EACCES" or nil, want = want, path = path,
          who = fresh and { uid = 998, gid = 998, groups = { 998, 1002 }, name = "svc", source = "user database" }
            or { uid = 998, gid = 998, groups = { 998 }, name = "svc", source = "/proc/4211/status" },
          denied_at = (not fresh) and { component = "/srv/app", index = 2, step = 2 } or nil,
          rule = (not fresh) and { kind = "mode", text = "not in group 1002" } or nil,
          steps = { { path = "/", role = "search", need = "x", ok = true, text = "" },
            { path = "/srv/app", role = "search", need = "x", ok = fresh, text = "" } },
        }
      end,
    }
    local rep = run({ path = "/srv/app/db", want = "read", pid = 4211 }, { access = fake })
    local f = rep.findings[1]
    assert.are.equal("access.stale-groups", f.id)
    assert.truthy(f.remedy:find("Restart", 1, true))
  end)

  it("on Windows, checks a live path with the process token and its elevated twin", function()
    local filtered = access.token("filtered-admin")
    filtered.elevation_type = "limited"
    local fake = setmetatable({
      file_security = function(path)
        if path == "C:\\locked" then return nil, "cannot read the security descriptor (Access denied)", "EACCES" end
        return access.parse_sddl(HOSTS)
      end,
      key_security = function() return access.parse_sddl("O:BAG:SYD:(A;;KA;;;BA)(A;;KR;;;BU)") end,
      current_token = function() return filtered end,
    }, { __index = access })
    local rep = run({ path = "C:\\Windows\\System32\\drivers\\etc\\hosts", want = "write" }, { access = fake })
    local f = rep.findings[1]
    assert.are.equal("access.elevation-required", f.id)
    assert.truthy(f.detail:find("deny-only", 1, true))
    assert.are.equal("current process", rep.facts.evaluation.token)
    rep = run({ path = "HKLM\\SOFTWARE\\Vendor", want = "write" }, { access = fake })
    assert.are.equal("access.elevation-required", rep.findings[1].id)
    assert.truthy(rep.findings[1].title:find("KEY_SET_VALUE", 1, true))
    local asked
    fake.file_security = function(path)
      asked = path
      return access.parse_sddl("O:BAG:SYD:(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)")
    end
    rep = run({ path = "C:\\Program Files\\App\\new.log", want = "create" }, { access = fake })
    assert.are.equal("C:\\Program Files\\App", asked) -- the folder decides a create
    assert.are.equal("access.elevation-required", rep.findings[1].id)
    assert.truthy(rep.findings[1].title:find("FILE_ADD_FILE", 1, true))
    assert.truthy(rep.findings[1].detail:find("LOCALAPPDATA", 1, true))
    fake.file_security = function(path)
      if path == "C:\\locked" then return nil, "cannot read the security descriptor (Access denied)", "EACCES" end
    end
    rep = run({ path = "C:\\locked", want = "read" }, { access = fake })
    assert.are.equal(0, #rep.findings)
    assert.truthy(rep.unknowns[1]:find("verdict is unknown", 1, true))
  end)

  it("checks a key of an offline hive (who may write this service key)", function()
    local out = os.tmpname()
    os.remove(out)
    if not sh("sh " .. q(U.src .. "/tests/fixtures/reg/build.sh") .. " " .. q(out) .. " >/dev/null 2>&1") then
      return pending("hivexregedit is needed to build the fixture hive")
    end
    local rep = run { hive = out .. "/sample.hive", key = "CurrentControlSet\\Services\\DemoSvc", want = "write" }
    sh("rm -rf " .. q(out))
    local f = rep.findings[1]
    assert.are.equal("access.elevation-required", f.id)
    assert.truthy(f.title:find("KEY_SET_VALUE", 1, true))
    assert.truthy(f.detail:find("(A;;KA;;;BA)", 1, true))
  end)

  it("has the module it needs", function()
    assert.is_function(access.check)
    assert.is_function(access.evaluate)
  end)
end)
