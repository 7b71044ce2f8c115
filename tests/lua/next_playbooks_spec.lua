-- Every "next" playbook a report or `explain` names must exist: the ones
-- causes.lua can name at run time, and every `next = "<id>"` written in a
-- script.
require "diagkit"
local causes = require "diagkit.causes"
local codes = require "diagkit.codes"

describe("next playbooks", function()
  local src = os.getenv("DK_SOURCE_DIR") or "."
  local function ships(id)
    local f = io.open(src .. "/scripts/playbooks/" .. id .. ".lua")
    if f then f:close() end
    return f ~= nil
  end

  it("are only written into scripts when they ship", function()
    local p = io.popen("cd " .. src .. " && grep -rnoE 'next = \"[a-z][a-z0-9-]*\"' scripts")
    local found = 0
    for line in p:lines() do
      local where, id = line:match('^(.-):next = "([^"]+)"$')
      found = found + 1
      assert.is_true(ships(id), where .. " names the playbook '" .. id .. "', which does not ship")
    end
    p:close()
    assert.is_true(found > 10) -- the scan itself works
  end)

  it("are only named when they ship", function()
    local probes = { 0xC0000005, 0xC0000135, 0xC0000139, 0xC000007B, 0xC00000FD, 0xC0000409, 0x80070005,
      127, 134, 137, 139, 2, 1, 126, 1053, 5, 3, 66 }
    local seen = 0
    for _, n in ipairs(probes) do
      for _, ctxname in ipairs { "windows", "linux", "shell", "go" } do
        for _, i in ipairs(codes.lookup(n, { context = ctxname }) or {}) do
          local m = causes.for_interpretation(i)
          if m and m.next then
            seen = seen + 1
            assert.is_true(ships(m.next), tostring(n) .. " names missing playbook " .. m.next)
          end
        end
      end
    end
    assert.is_true(seen > 0)
    for _, key in ipairs { "SIGSEGV", "SIGKILL", "SIGABRT", "go:1", "go:2", "go:66", "ERROR_ACCESS_DENIED", "ERROR_PATH_NOT_FOUND", "ENOENT", "EACCES" } do
      local m = causes.get(key)
      if m and m.next then assert.is_true(ships(m.next), key .. " -> " .. m.next) end
    end
  end)
end)
