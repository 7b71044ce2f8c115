-- Progress lines appear on a real terminal (a pty from util-linux `script`)
-- and nowhere else: not when stderr is a pipe, not with DIAGKIT_NO_PROGRESS,
-- never with --format json; and the JSON on stdout is the same bytes with or
-- without a terminal.
local cli = require "cli_helper"

local quote = require("spec_util").q

-- Runs diagkit args with stderr on a pty and stdout to a file.
-- Returns what reached the terminal and what reached stdout.
local function on_tty(args, env)
  local out = os.tmpname()
  local parts = { "env" }
  for k, v in pairs(env or {}) do parts[#parts + 1] = k .. "=" .. quote(v) end
  parts[#parts + 1] = quote(cli.bin)
  for _, a in ipairs(args) do parts[#parts + 1] = quote(a) end
  local inner = table.concat(parts, " ") .. " >" .. quote(out)
  local p = assert(io.popen("script -qec " .. quote(inner) .. " /dev/null </dev/null", "r"))
  local tty = p:read("a")
  p:close()
  local stdout = assert(require("diagkit.progress").read_file(out))
  os.remove(out)
  return tty, stdout
end

local has_script = os.execute("command -v script >/dev/null 2>&1")

describe("progress", function()
  local dir, biglog

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. quote(dir)))
    -- a real Go panic at the end of 6 MiB of log lines: more than one read block
    local r = io.popen(quote(cli.crasher("gopanic")) .. " 2>&1 >/dev/null", "r")
    local panic = r:read("a")
    r:close()
    assert.truthy(panic:find("panic:", 1, true), panic)
    biglog = dir .. "/big.log"
    local f = assert(io.open(biglog, "wb"))
    local line = "2024-01-31T12:00:00Z INFO request served in 3 ms from 10.0.0.1\n"
    f:write(string.rep(line, (6 * 1024 * 1024) // #line + 1), panic)
    f:close()
  end)

  teardown(function()
    os.remove(biglog)
    os.remove(dir)
  end)

  it("is drawn on a terminal's stderr and cleared at the end", function()
    if not has_script then pending("script (bsdutils) missing") return end
    local tty, stdout = on_tty({ "run", "go-crash", "-p", "log=" .. biglog })
    assert.truthy(tty:find("\rgo-crash: reading " .. biglog, 1, true), tty)
    assert.truthy(tty:find("\rgo-crash: parsing " .. biglog .. "  ...\27[K", 1, true), tty)
    assert.truthy(tty:find("%d+%% %(%d+%.%d MB of 6%.0 MB%)"), tty)
    -- every drawn line is cleared; the last thing on the terminal is the clearing
    assert.truthy(tty:sub(-4) == "\r\27[K", tty)
    -- the report itself is clean text
    assert.is_nil(stdout:find("\27[K", 1, true))
    assert.truthy(stdout:find("[go.panic.index-out-of-range]", 1, true), stdout)
  end)

  it("is not drawn when stderr is a pipe or DIAGKIT_NO_PROGRESS is set", function()
    local r = cli.run({ "run", "go-crash", "-p", "log=" .. biglog })
    assert.are.equal("", r.stderr)
    if not has_script then pending("script (bsdutils) missing") return end
    local tty = on_tty({ "run", "go-crash", "-p", "log=" .. biglog }, { DIAGKIT_NO_PROGRESS = "1" })
    assert.are.equal("", tty)
  end)

  it("is never drawn with --format json, and the JSON is the same bytes", function()
    if not has_script then pending("script (bsdutils) missing") return end
    local tty = on_tty({ "run", "go-crash", "--format", "json", "-p", "log=" .. biglog })
    assert.are.equal("", tty)
    -- deps output has no timings, so the bytes can be compared exactly
    local args = { "deps", "--format", "json", cli.bin, cli.crasher("segv") }
    local tty_json, tty_stdout = on_tty(args)
    assert.are.equal("", tty_json)
    local piped = cli.run(args)
    assert.are.equal(0, piped.code, piped.stderr)
    assert.are.equal(piped.stdout, tty_stdout)
    -- and the text format of the same walk does draw
    local tty_text = on_tty({ "deps", cli.bin, cli.crasher("segv") })
    assert.truthy(tty_text:find("\rdeps    0%% %(0/2%)  "), tty_text)
  end)

  it("follows the .evtx chunks of event-log", function()
    if not has_script then pending("script (bsdutils) missing") return end
    local tty = on_tty({ "run", "event-log", "-p", "log=" .. cli.src .. "/tests/fixtures/evtx/system.evtx" })
    assert.truthy(tty:find("\revent-log: system.evtx chunks    0% (0/1)\27[K", 1, true), tty)
    assert.truthy(tty:sub(-4) == "\r\27[K", tty)
  end)
end)
