-- diagkit.log: PCRE2 regexes (lrexlib-style calls), lines, scan, tail.
require "diagkit"
local log = require "diagkit.log"

local U = require "spec_util"
local tmpfile = U.tmpfile

describe("diagkit.log regexes", function()
  it("compiles, caches and describes patterns", function()
    local rx = log.compile("(?<key>\\w+)=(?<val>\\d+)")
    assert.are.equal(rx, log.compile("(?<key>\\w+)=(?<val>\\d+)"))
    assert.are_not.equal(rx, log.compile("(?<key>\\w+)=(?<val>\\d+)", "i"))
    assert.are.equal("diagkit.log.regex((?<key>\\w+)=(?<val>\\d+))", tostring(rx))
    assert.is_boolean(log.jit)
    assert.truthy(log.pcre2_version:match("^10%."))
  end)

  it("raises on a bad pattern with the offset", function()
    local ok, err = pcall(log.compile, "ab(c")
    assert.is_false(ok)
    assert.truthy(err:find("at offset 4", 1, true), err)
    assert.truthy(err:find("parenthesis", 1, true), err)
    assert.has_error(function() log.compile("a", "q") end)
  end)

  it("matches like string.match, with captures, init and false for unset groups", function()
    local rx = log.compile("(\\w+)=(\\d+)(x)?")
    assert.are.same({ "a", "1", false }, { rx:match("a=1 b=2") })
    assert.are.same({ "b", "2", false }, { rx:match("a=1 b=2", 4) })
    assert.are.same({ "b", "2", false }, { rx:match("a=1 b=2", -3) })
    assert.is_nil(rx:match("a=1", 9))
    assert.are.equal("abc", log.compile("b*c|abc"):match("abc"))
    assert.are.equal("PANIC", log.match("a PANIC b", "panic", 1, "i"))
  end)

  it("finds like string.find and execs with named groups", function()
    local rx = log.compile("(?<key>\\w+)=(?<val>\\d+)")
    assert.are.same({ 4, 8, "bb", "22" }, { rx:find("x, bb=22") })
    local s, e, caps = rx:exec("port=8080")
    assert.are.equal(1, s)
    assert.are.equal(9, e)
    assert.are.same({ "port", "8080", key = "port", val = "8080" }, caps)
    assert.are.same({ 3, 5 }, { log.find("a panic", "pan") })
  end)

  it("iterates with gmatch like string.gmatch, including empty matches", function()
    local got = {}
    for k, v in log.compile("(\\w+)=(\\d+)"):gmatch("a=1, b=2;c=3") do got[#got + 1] = k .. v end
    assert.are.same({ "a1", "b2", "c3" }, got)
    local a, b = {}, {}
    for w in log.gmatch("abc", "x*") do a[#a + 1] = w end
    for w in ("abc"):gmatch("x*") do b[#b + 1] = w end
    assert.are.same(b, a)
  end)

  it("substitutes with strings, tables and functions", function()
    assert.are.same({ "hell0 w0rld", 2 }, { log.gsub("hello world", "o", "0") })
    local rx = log.compile("(\\w+)=(\\d+)")
    assert.are.same({ "1:a 2:b", 2 }, { rx:gsub("a=1 b=2", "%2:%1") })
    assert.are.same({ "A b=2", 2 }, { rx:gsub("a=1 b=2", { a = "A" }) })
    assert.are.same({ "1a b=2", 1 }, { rx:gsub("a=1 b=2", function(k, v) return v .. k end, 1) })
    assert.are.same({ ("abc"):gsub("x*", "-") }, { log.gsub("abc", "x*", "-") })
    assert.are.same({ "100%", 1 }, { log.gsub("100", "$", "%%") })
    assert.has_error(function() rx:gsub("a=1", "%9") end)
  end)

  it("matches binary subjects and UTF-8 mode skips invalid bytes", function()
    assert.are.equal("\0\255", log.match("x\0\255y", "\\x00\\xff"))
    assert.are.equal("été", log.match("\255\254 été", "é.é", 1, "u"))
  end)

  it("stops a catastrophic pattern at the match limit and raises", function()
    local before = log.limits()
    log.limits { match = 1000 }
    local ok, err = pcall(log.match, ("a"):rep(40) .. "!", "^(\\w+\\s?)*$")
    log.limits(before)
    assert.is_false(ok)
    assert.truthy(err:find("limit", 1, true), err)
    assert.are.same(before, log.limits())
  end)

  it("can be closed early", function()
    local rx = log.compile("close-me-" .. os.time())
    do
      local r <close> = rx
    end
    assert.has_error(function() rx:match("x") end)
    assert.truthy(tostring(rx):find("closed", 1, true))
  end)
end)

describe("diagkit.log files", function()
  local path
  before_each(function() path = tmpfile("one\r\ntwo\n\nfo\0ur") end)
  after_each(function() os.remove(path) end)

  it("iterates lines with numbers and byte offsets (LF, CRLF, NUL, no final LF)", function()
    local got = {}
    for line, n, off in log.lines(path) do got[#got + 1] = { line, n, off } end
    assert.are.same({ { "one", 1, 0 }, { "two", 2, 5 }, { "", 3, 9 }, { "fo\0ur", 4, 10 } }, got)
  end)

  it("returns the generic-for closer and closes on break", function()
    local iter, state, ctl, closer = log.lines(path)
    assert.is_function(iter)
    assert.is_nil(ctl)
    assert.are.equal(state, closer)
    for _ in log.lines(path) do break end
    assert.truthy(tostring(state):find("bytes", 1, true))
    state:close()
    assert.truthy(tostring(state):find("closed", 1, true))
  end)

  it("reports a missing file as nil, message, code", function()
    local msg = U.fails("ENOENT", "/nonexistent/x.log", log.lines, "/nonexistent/x.log")
    assert.are.same({ nil, msg, "ENOENT" }, { log.tail("/nonexistent/x.log", 3) })
    assert.are.same({ nil, msg, "ENOENT" }, { log.scan("/nonexistent/x.log", { a = "a" }) })
  end)

  it("tails the last lines", function()
    assert.are.same({ "", "fo\0ur" }, log.tail(path, 2))
    assert.are.same({ "one", "two", "", "fo\0ur" }, log.tail(path, 100))
    assert.are.same({}, log.tail(path, 0))
  end)

  it("reads lines longer than any buffer", function()
    local long = ("x"):rep(3 * 1024 * 1024)
    local p = tmpfile("a\n" .. long .. "\nb")
    local lens = {}
    for l in log.lines(p) do lens[#lens + 1] = #l end
    os.remove(p)
    assert.are.same({ 1, #long, 1 }, lens)
  end)
end)

describe("diagkit.log.scan", function()
  it("runs many patterns in one pass with line numbers and offsets", function()
    local p = tmpfile("INFO start\nERROR disk full (sda1)\r\nWARN slow\nERROR net down (eth0)\n")
    local res, st = log.scan(p, { err = "^ERROR (?<what>.+) \\((?<dev>\\w+)\\)", warn = "^WARN" })
    os.remove(p)
    assert.are.equal(2, res.err.count)
    assert.are.equal(1, res.warn.count)
    local m = res.err.matches[1]
    assert.are.equal(2, m.line)
    assert.are.equal(11, m.offset)
    assert.are.equal(1, m.col)
    assert.are.equal("ERROR disk full (sda1)", m.text)
    assert.are.equal("sda1", m.captures.dev)
    assert.are.equal("disk full", m.captures[1])
    assert.are.equal(4, res.err.matches[2].line)
    assert.are.same({ lines = 4, bytes = 67, patterns = 2 }, st)
  end)

  it("keeps at most opts.max matches but counts all", function()
    local res = log.scan_text(("hit\n"):rep(50), { h = "hit" }, { max = 3, text = false })
    assert.are.equal(50, res.h.count)
    assert.are.equal(3, #res.h.matches)
    assert.is_nil(res.h.matches[1].text)
  end)

  it("accepts compiled regexes and flags", function()
    local res = log.scan_text("Panic\npanic\n", { a = log.compile("PANIC", "i"), b = "PANIC" }, { flags = "i" })
    assert.are.equal(2, res.a.count)
    assert.are.equal(2, res.b.count)
  end)

  it("raises on a bad pattern table", function()
    assert.has_error(function() log.scan_text("x", { a = 1 }) end)
    assert.has_error(function() log.scan_text("x", { "a" }) end)
    assert.has_error(function() log.scan_text("x", { a = "(" }) end)
  end)
end)
