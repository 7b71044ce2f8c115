-- diagkit.progress with an injected writer (which stands for a terminal) and
-- clock: what is drawn, how often, and that the line is cleared at the end.
-- tests/e2e/progress_spec.lua checks the real TTY and pipe cases.
require "diagkit"
local progress = require "diagkit.progress"

-- A fake terminal: records every write; a clock the test moves.
local function term()
  local t = { writes = {}, now = 0 }
  t.writer = function(s) t.writes[#t.writes + 1] = s end
  t.clock = function() return t.now end
  return t
end

describe("diagkit.progress", function()
  after_each(function() progress.configure { format = "text" } end)

  it("draws at most once per INTERVAL_MS and clears the line when done", function()
    assert.are.equal(100, progress.INTERVAL_MS)
    local t = term()
    local bar = progress.new { label = "scan", total = 1000, writer = t.writer, clock = t.clock }
    for i = 1, 1000 do
      t.now = i -- 1 ms per unit: 1000 updates over one second
      bar:update(i)
    end
    -- drawn at 1, 101, 201, ... 901 ms: ten lines for a thousand updates
    assert.are.equal(10, #t.writes)
    assert.are.equal("\rscan   10% (101/1000)\27[K", t.writes[2])
    for _, w in ipairs(t.writes) do
      assert.truthy(w:match("^\rscan +%d+%% %(%d+/1000%)\27%[K$"), w)
    end
    bar:done()
    assert.are.equal(11, #t.writes)
    assert.are.equal("\r\27[K", t.writes[11])
    -- done twice, or updates after done, write nothing
    bar:done()
    t.now = 5000
    bar:update(1000)
    assert.are.equal(11, #t.writes)
  end)

  it("writes nothing at all when it never drew", function()
    local t = term()
    local bar = progress.new { label = "x", writer = t.writer, clock = t.clock }
    bar:done()
    assert.are.equal(0, #t.writes)
  end)

  it("shows sizes for bytes, counts without a total, and stays on one short line", function()
    local bar = progress.new { label = "read big.log", total = 10 * 1024 * 1024, unit = "bytes", writer = print }
    assert.are.equal("read big.log   50% (5.0 MB of 10.0 MB)", bar:line(5 * 1024 * 1024))
    local count = progress.new { label = "events", writer = print }
    assert.are.equal("events  ...", count:line(0))
    assert.are.equal("events  42  matched", count:line(42, "matched"))
    local long = progress.new { label = string.rep("x", 300) .. "\nnext", total = 2, writer = print }
    local line = long:line(1)
    assert.truthy(#line <= 79 and #line >= 20, #line)
    assert.is_nil(line:find("[%c]"))
    assert.truthy(line:find("%.%.%.$"))
  end)

  it("is off for machine-readable formats, even on a terminal", function()
    local t = term()
    progress.configure { format = "json" }
    assert.is_false(progress.enabled { writer = t.writer })
    local bar = progress.new { label = "x", total = 3, writer = t.writer, clock = t.clock }
    bar:update(1)
    bar:done()
    progress.configure { format = "nagios" }
    progress.new({ label = "y", writer = t.writer, clock = t.clock }):update(1)
    assert.are.equal(0, #t.writes)
    progress.configure { format = "text" }
    assert.is_true(progress.enabled { writer = t.writer })
  end)

  it("clear() wipes the line and the next update draws it again, rate-limited", function()
    local t = term()
    local bar = progress.new { label = "deps", total = 2, writer = t.writer, clock = t.clock }
    bar:update(0, "a")
    bar:clear()
    bar:clear() -- nothing drawn now: no second escape
    assert.are.same({ "\rdeps    0% (0/2)  a\27[K", "\r\27[K" }, t.writes)
    t.now = 10
    bar:update(1, "b") -- within the interval: not drawn
    assert.are.equal(2, #t.writes)
    t.now = 150
    bar:update(1, "b")
    assert.are.equal("\rdeps   50% (1/2)  b\27[K", t.writes[3])
  end)

  it("progress.clear() wipes a bar left drawn (a playbook that raised)", function()
    local t = term()
    local bar = progress.new { label = "x", writer = t.writer, clock = t.clock }
    bar:update(1)
    progress.clear()
    assert.are.equal("\r\27[K", t.writes[#t.writes])
    progress.clear()
    assert.are.equal(2, #t.writes)
  end)

  it("busy() returns what the call returns and raises its error", function()
    local a, b, c = progress.busy("parse", function(x, y) return x + y, nil, "z" end, 1, 2)
    assert.are.same({ 3, nil, "z" }, { a, b, c })
    assert.has_error(function() progress.busy("parse", error, "boom", 0) end, "boom")
  end)

  it("read_file() reads small and big files exactly, and fails like io.open", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    local block = string.rep("0123456789abcdef", 65536) -- 1 MiB
    for i = 1, 9 do f:write(block, tostring(i)) end -- 9 MiB: more than two read blocks
    f:close()
    local text = assert(progress.read_file(path))
    assert.are.equal(9 * #block + 9, #text)
    assert.are.equal(block .. "1", text:sub(1, #block + 1))
    assert.are.equal("9", text:sub(-1))
    f = assert(io.open(path, "wb"))
    f:write("small\n")
    f:close()
    assert.are.equal("small\n", progress.read_file(path))
    os.remove(path)
    local none, err = progress.read_file(path)
    assert.is_nil(none)
    assert.truthy(err:find(path, 1, true))
  end)

  it("refuses a bar without a label", function()
    assert.has_error(function() progress.new {} end)
    assert.has_error(function() progress.new { label = "x", total = "7" } end)
  end)
end)
