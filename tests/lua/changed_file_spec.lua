-- A mapped file that shrinks while it is read (a log rotated, a file being
-- rewritten) ends in a clear error naming the change, where it used to kill
-- the process with SIGBUS (modules/support/file_posix.c's guard).
require "diagkit"
local util = require "spec_util"

if package.config:sub(1, 1) == "\\" then return end

describe("a file that shrinks while it is read", function()
  it("stops log.lines with 'the file changed', not SIGBUS", function()
    local path = os.tmpname()
    local lines = {}
    for i = 1, 200000 do lines[i] = "line " .. i .. " of a log being rotated" end
    util.write(path, table.concat(lines, "\n") .. "\n")
    local log = require "diagkit.log"
    local n = 0
    local ok, err = pcall(function()
      for _ in log.lines(path) do
        n = n + 1
        if n == 10 then assert(os.execute("truncate -s 4096 " .. util.q(path))) end
      end
    end)
    os.remove(path)
    assert.is_false(ok)
    assert.matches("the file changed %(it shrank%) while it was read", err)
    assert.is_true(n < 200000)
  end)
end)
