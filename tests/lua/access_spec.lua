-- diagkit.access.check on a real tree (tests/fixtures/access/make_tree.sh),
-- every verdict cross-checked against the kernel: the same operation is run
-- as the same uid/gids with setpriv.
require "diagkit"
local access = require "diagkit.access"

local U = require "spec_util"

local src, sh, q = U.src, U.ok, U.q

local is_root = io.popen("id -u"):read("l") == "0"
local have_tools = sh("command -v setfacl >/dev/null && command -v setpriv >/dev/null")

-- The kernel's own answer: the operation run as who.
local function kernel(op, path, who)
  local test = ({
    read = "test -r \"$1\" && head -c1 \"$1\" >/dev/null",
    write = "test -w \"$1\"",
    exec = "\"$1\" </dev/null >/dev/null 2>&1",
    list = "ls \"$1\" >/dev/null 2>&1",
    search = "cd \"$1\" 2>/dev/null",
    create = "touch \"$1\" 2>/dev/null && rm -f \"$1\"",
    delete = "rm \"$1\" 2>/dev/null",
  })[op]
  local prefix = ""
  if who and who.uid ~= 0 then
    local groups = who.groups and #who.groups > 0 and ("--groups=" .. table.concat(who.groups, ",")) or "--clear-groups"
    prefix = string.format("setpriv --reuid=%d --regid=%d %s -- ", who.uid, who.gid or who.uid, groups)
  end
  return sh(prefix .. "sh -c " .. q(test) .. " sh " .. q(path) .. " 2>/dev/null")
end

local NOBODY = { uid = 65534, gid = 65534 }
local MEMBER = { uid = 65534, gid = 65534, groups = { 4242, 4243 } }
local ROOT = { uid = 0, gid = 0 }

describe("access.check (POSIX, real files)", function()
  local dir
  setup(function()
    if not is_root or not have_tools then return end
    dir = os.tmpname()
    os.remove(dir)
    assert(sh("sh " .. q(src .. "/tests/fixtures/access/make_tree.sh") .. " " .. q(dir)))
  end)
  teardown(function()
    if dir then
      sh("umount " .. q(dir .. "/ro") .. " 2>/dev/null; umount " .. q(dir .. "/nx") .. " 2>/dev/null")
      sh("chattr -i " .. q(dir .. "/immutable") .. " 2>/dev/null; rm -rf " .. q(dir))
    end
  end)

  local function case(name, rel, op, who, expect)
    it(name, function()
      if not is_root or not have_tools then
        pending("needs root, setfacl and setpriv to build the tree and drop privileges")
        return
      end
      local path = dir .. "/" .. rel
      local r = assert(access.check(path, op, who))
      local k = kernel(op, path, who)
      assert.are.equal(k, r.allowed, "kernel says " .. tostring(k) .. " for " .. op .. " " .. rel)
      assert.are.equal(expect.allowed, r.allowed)
      if not expect.allowed then
        assert.are.equal(expect.errno or "EACCES", r.errno)
        if expect.kind then assert.are.equal(expect.kind, r.rule.kind) end
        if expect.at then
          assert.are.equal(dir .. (expect.at == "" and "" or "/" .. expect.at), r.denied_at.component)
        end
        assert.truthy(#r.rule.text > 0)
      end
      if expect.via then
        local last = r.steps[#r.steps]
        if not expect.allowed then last = r.steps[r.denied_at.step] end
        assert.are.equal(expect.via, last.via)
      end
      if expect.text then
        assert.truthy((r.allowed and r.steps[#r.steps].text or r.rule.text):find(expect.text, 1, true),
          r.allowed and r.steps[#r.steps].text or r.rule.text)
      end
      return r
    end)
  end

  case("denies search on a closed folder, naming it", "closed/inner/file", "read", NOBODY,
    { allowed = false, kind = "mode", at = "closed", via = "other", text = "other has ---, needs x" })
  case("a named-user ACL entry grants search", "aclx/inner/file", "read", NOBODY,
    { allowed = true })
  case("the ACL entry that grants is named", "aclx/inner/file", "read", NOBODY,
    { allowed = true })
  case("the mask cuts a named-user entry", "masked", "write", NOBODY,
    { allowed = false, kind = "mask", at = "masked", via = "mask", text = "mask::r--" })
  case("the mask leaves read", "masked", "read", NOBODY, { allowed = true, via = "acl-user" })
  case("group entries are not combined (create needs wx from one entry)", "groups/new", "create", MEMBER,
    { allowed = false, kind = "acl-entry", at = "groups", text = "no single matching group entry" })
  case("one group entry grants search", "groups", "search", MEMBER, { allowed = true, via = "acl-group" })
  case("a matching group entry without the bits stops at group (other not used)", "groups", "list", MEMBER,
    { allowed = false, kind = "acl-entry", at = "groups" })
  case("the owner class decides even if other would allow", "ownerless", "read", NOBODY,
    { allowed = false, kind = "mode", via = "owner" })
  case("others may read the owner-locked file", "ownerless", "read", { uid = 1000, gid = 1000 },
    { allowed = true, via = "other" })
  case("supplementary group membership grants", "grp/file", "read", MEMBER, { allowed = true, via = "group" })
  case("without the group, other is used", "grp/file", "read", NOBODY,
    { allowed = false, at = "grp", kind = "mode" })
  case("root cannot execute a file with no x bit", "noexec.sh", "exec", ROOT,
    { allowed = false, kind = "mode", text = "even CAP_DAC_OVERRIDE" })
  case("root executes a 0700 script", "exec.sh", "exec", ROOT, { allowed = true })
  case("a script needs r too: its interpreter opens it", "xonly.sh", "exec", NOBODY,
    { allowed = false, kind = "mode", text = "a script must be readable as well" })
  case("root reads a mode-000 file through a capability", "zero", "read", ROOT,
    { allowed = true, via = "capability" })
  case("nobody cannot read a mode-000 file", "zero", "read", NOBODY, { allowed = false, kind = "mode" })
  case("sticky folder: nobody cannot delete someone else's file", "sticky/theirs", "delete", NOBODY,
    { allowed = false, errno = "EPERM", kind = "sticky" })
  case("sticky folder: root deletes through CAP_FOWNER", "sticky/theirs", "delete", ROOT, { allowed = true })
  case("a symlink loop is ELOOP", "loop1", "read", ROOT, { allowed = false, errno = "ELOOP", kind = "path" })
  case("a missing file is ENOENT", "closed/missing", "read", ROOT, { allowed = false, errno = "ENOENT" })
  case("a symlink into a closed folder is checked at the target", "link-to-inner/file", "read", NOBODY,
    { allowed = false, at = "closed", kind = "mode" })
  case("a relative symlink with .. resolves physically", "open/sub/rel", "read", NOBODY, { allowed = true })
  case("create in a folder without w", "open/newfile", "create", NOBODY,
    { allowed = false, at = "open", kind = "mode", text = "needs wx" })

  it("reports the steps: one per component, with mode and owner", function()
    if not is_root or not have_tools then return pending("needs root") end
    local r = access.check(dir .. "/closed/inner/file", "read", NOBODY)
    assert.are.equal("/", r.steps[1].path)
    assert.are.equal("search", r.steps[1].role)
    local last = r.steps[#r.steps]
    assert.are.equal(dir .. "/closed", last.path)
    assert.are.equal("drwxr-x---", last.mode)
    assert.is_false(last.ok)
    assert.are.equal(r.denied_at.index, last.index)
  end)

  it("honours read-only and noexec mounts (EROFS; noexec even for root)", function()
    if not is_root or not have_tools then return pending("needs root") end
    assert(sh(string.format("mkdir -p %s/ro %s/nx", q(dir), q(dir))))
    if not sh(string.format("mount -t tmpfs -o size=1m tmpfs %s/nx && mount -t tmpfs -o ro,size=1m tmpfs %s/ro",
        q(dir), q(dir))) then
      return pending("cannot mount a tmpfs here")
    end
    assert(sh(string.format("printf '#!/bin/sh\\nexit 0\\n' > %s/nx/p && chmod 755 %s/nx/p && mount -o remount,noexec %s/nx",
      q(dir), q(dir), q(dir))))
    local r = access.check(dir .. "/nx/p", "exec", ROOT)
    assert.is_false(r.allowed)
    assert.are.equal("mount", r.rule.kind)
    assert.are.equal(kernel("exec", dir .. "/nx/p", ROOT), r.allowed)
    -- a script whose interpreter sits on the noexec mount
    assert(sh(string.format("mount -o remount,exec %s/nx && cp /bin/sh %s/nx/sh && mount -o remount,noexec %s/nx && "
      .. "printf '#!%s/nx/sh\\nexit 0\\n' > %s/viainterp.sh && chmod 755 %s/viainterp.sh",
      q(dir), q(dir), q(dir), dir, q(dir), q(dir))))
    r = access.check(dir .. "/viainterp.sh", "exec", ROOT)
    assert.is_false(r.allowed)
    assert.are.equal("mount", r.rule.kind)
    assert.truthy(r.rule.text:find("the interpreter " .. dir .. "/nx/sh", 1, true))
    assert.are.equal("interpreter", r.steps[#r.steps].role)
    assert.are.equal(kernel("exec", dir .. "/viainterp.sh", ROOT), r.allowed)
    r = access.check(dir .. "/ro", "write", ROOT)
    assert.are.equal("EROFS", r.errno)
    assert.are.equal(kernel("write", dir .. "/ro", ROOT), r.allowed)
    r = access.check(dir .. "/ro/new", "create", ROOT)
    assert.are.equal("EROFS", r.errno)
    assert.are.equal("mount", r.rule.kind)
  end)

  it("checks as a running process, with its own groups (not the group database's)", function()
    if not is_root or not have_tools then return pending("needs root") end
    local p = io.popen("setpriv --reuid=65534 --regid=65534 --groups=4242 sleep 30 >/dev/null 2>&1 & echo $!")
    local pid = math.tointeger(tonumber(p:read("l")))
    p:close()
    local ok, err = pcall(function()
      local c
      -- Wait until setpriv has exec'd sleep: only then are all its
      -- credential changes (uid, groups, capabilities) done.
      for _ = 1, 100 do
        local comm = io.open("/proc/" .. pid .. "/comm")
        local name = comm and comm:read("l")
        if comm then comm:close() end
        if name == "sleep" then break end
        os.execute("sleep 0.05")
      end
      c = access.credentials { pid = pid }
      assert.are.equal(65534, c.uid)
      assert.are.same({ 4242 }, c.groups)
      assert.is_false(c.caps.dac_override)
      local r = access.check(dir .. "/grp/file", "read", { pid = pid })
      assert.is_true(r.allowed) -- through group 4242, which nobody has in the group database
      assert.are.equal("/proc/" .. pid .. "/status", r.who.source)
      assert.is_false(access.check(dir .. "/grp/file", "read", { user = "nobody" }).allowed)
    end)
    os.execute("kill " .. pid .. " 2>/dev/null")
    assert(ok, err)
  end)

  it("applies fs.protected_symlinks and fs.protected_regular (kernel values, or what-if values)", function()
    if not is_root or not have_tools then return pending("needs root") end
    local link = dir .. "/sticky/theirlink"
    local sysctl = io.open("/proc/sys/fs/protected_symlinks"):read("n")
    local r = access.check(link, "read", NOBODY)
    assert.are.equal(kernel("read", link, NOBODY), r.allowed) -- the running kernel's setting
    assert.are.equal(sysctl == 0, r.allowed)
    r = access.check(link, "read", { uid = 0, gid = 0, protected_symlinks = 1 })
    assert.is_false(r.allowed) -- not even root follows it
    assert.are.equal("sysctl", r.rule.kind)
    assert.truthy(r.rule.text:find("fs.protected_symlinks=1", 1, true))
    assert.is_true(access.check(link, "read", { uid = 0, gid = 0, protected_symlinks = 0 }).allowed)
    local theirs = dir .. "/sticky/theirs2"
    assert(sh("echo x > " .. q(theirs) .. " && chown 1000 " .. q(theirs) .. " && chmod 666 " .. q(theirs)))
    r = access.check(theirs, "create", { uid = 0, gid = 0, protected_regular = 1 })
    assert.is_false(r.allowed)
    assert.are.equal("sysctl", r.rule.kind)
    assert.is_true(access.check(theirs, "create", { uid = 0, gid = 0, protected_regular = 0 }).allowed)
    assert.is_true(access.check(theirs, "create", { uid = 1000, gid = 1000, protected_regular = 2 }).allowed)
    -- fs.protected_fifos: the same rule for someone else's FIFO, checked against the kernel
    local fifo = dir .. "/sticky/theirfifo"
    assert(sh("mkfifo " .. q(fifo) .. " && chown 1000 " .. q(fifo) .. " && chmod 666 " .. q(fifo)))
    r = access.check(fifo, "create", { uid = 0, gid = 0, protected_fifos = 1 })
    assert.is_false(r.allowed)
    assert.are.equal("sysctl", r.rule.kind)
    assert.truthy(r.rule.text:find("fs.protected_fifos=1", 1, true), r.rule.text)
    assert.is_true(access.check(fifo, "create", { uid = 0, gid = 0, protected_fifos = 0 }).allowed)
    local fifos = io.open("/proc/sys/fs/protected_fifos")
    if fifos then
      local v = fifos:read("n")
      fifos:close()
      -- what the running kernel says for root opening it O_CREAT (O_NONBLOCK|O_WRONLY fails with ENXIO
      -- without a reader, so the check is a read-write open, which a FIFO allows without blocking)
      local ok = os.execute("python3 -c 'import os,sys; os.close(os.open(sys.argv[1], os.O_RDWR|os.O_CREAT))' "
        .. q(fifo) .. " 2>/dev/null")
      assert.are.equal(v == 0, ok == true, "kernel fs.protected_fifos=" .. tostring(v))
      assert.are.equal(ok == true, access.check(fifo, "create", { uid = 0, gid = 0 }).allowed)
    end
  end)

  it("honours the immutable inode flag, even for root", function()
    if not is_root or not have_tools then return pending("needs root") end
    assert(sh("echo x > " .. q(dir .. "/immutable")))
    if not sh("chattr +i " .. q(dir .. "/immutable") .. " 2>/dev/null") then
      return pending("this filesystem has no immutable flag")
    end
    local r = access.check(dir .. "/immutable", "write", ROOT)
    assert.are.equal("EPERM", r.errno)
    assert.are.equal("flag", r.rule.kind)
    r = access.check(dir .. "/immutable", "delete", ROOT)
    assert.are.equal("EPERM", r.errno)
    assert.is_false(kernel("delete", dir .. "/immutable", ROOT))
  end)
end)

describe("access.credentials", function()
  it("describes the current process", function()
    local c = access.credentials()
    assert.are.equal("process", c.source)
    assert.is_number(c.uid)
    assert.is_table(c.groups)
  end)
  it("reads a user from the user database with its groups", function()
    local c = assert(access.credentials { user = "root" })
    assert.are.equal(0, c.uid)
    assert.are.equal("user database", c.source)
    assert.is_true(c.caps.dac_override)
    local n = assert(access.credentials { user = "nobody" })
    assert.is_false(n.caps.dac_override)
  end)
  it("reads a running process from /proc/PID/status", function()
    local c = assert(access.credentials { pid = 1 })
    assert.are.equal("/proc/1/status", c.source)
  end)
  it("returns nil, message, code for an unknown user or pid", function()
    local r, msg, code = access.credentials { user = "no-such-user-dk6" }
    assert.is_nil(r)
    assert.are.equal("ENOENT", code)
    assert.truthy(msg:find("no-such-user-dk6", 1, true))
    r, msg, code = access.check("/", "read", { pid = 999999999 })
    assert.is_nil(r)
    assert.are.equal("ESRCH", code)
  end)
  it("raises on a bad operation", function()
    assert.has_error(function() access.check("/", "fly") end)
  end)
end)
