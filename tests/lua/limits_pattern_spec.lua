-- diagkit.limits' pattern functions against the string library: the same
-- results and the same errors on random patterns and subjects, and a step
-- budget that stops what the instruction hook cannot see.
require "diagkit"
local lim = require "diagkit.limits"

local pieces = { "a", "b", "x", ".", "%a", "%d", "%s", "%w", "%A", "[ab]", "[^a]", "[a-c]", "[%a_]", "[]]",
  "*", "+", "-", "?", "(", ")", "()", "%b()", "%f[%a]", "%1", "%2", "^", "$", "%", "[", "]", "%.", "%%", "\0" }
local chars = { "a", "b", "x", "(", ")", " ", "1", "2", "_", ".", "%", "]", "\0" }

local function rnd(t, n)
  local o = {}
  for i = 1, math.random(0, n) do o[i] = t[math.random(#t)] end
  return table.concat(o)
end

local function outcome(f, ...)
  local r = table.pack(pcall(f, ...))
  if not r[1] then r[2] = tostring(r[2]):gsub("^bad argument #%d+ to '%w+' %((.*)%)$", "%1") end
  return r
end

local function all(g)
  return function(s, p, init)
    local out = {}
    for a, b in g(s, p, init) do
      out[#out + 1] = tostring(a) .. "/" .. tostring(b)
      if #out > 100 then break end
    end
    return table.concat(out, ",")
  end
end

describe("limits' pattern functions", function()
  it("agree with the string library on random patterns, errors included", function()
    math.randomseed(20261123)
    local compared = 0
    for _ = 1, 4000 do
      local s, p, init = rnd(chars, 24), rnd(pieces, 8), math.random(-4, 26)
      local cases = {
        { string.find, lim.find, s, p, init }, { string.find, lim.find, s, p, init, true },
        { string.match, lim.match, s, p, init }, { all(string.gmatch), all(lim.gmatch), s, p, init },
        { string.gsub, lim.gsub, s, p, "<%0>" }, { string.gsub, lim.gsub, s, p, "%1" },
        { string.gsub, lim.gsub, s, p, function(a) return a and tostring(a):upper() end, 3 },
        { string.gsub, lim.gsub, s, p, { a = "A", x = false } },
      }
      for _, c in ipairs(cases) do
        local want, got = outcome(c[1], table.unpack(c, 3)), outcome(c[2], table.unpack(c, 3))
        assert.are.same(want, got, string.format("%q %q %s", s, p, tostring(init)))
        compared = compared + 1
      end
    end
    assert.are.equal(32000, compared)
  end)

  it("charge their steps to the budget of limits.call", function()
    local ok, err, kind = lim.call(function()
      return lim.find(("a"):rep(3000), ".-.-.-.-.-.-b")
    end, { instructions = 1000000 })
    assert.is_false(ok)
    assert.are.equal("instructions", kind)
    assert.truthy(tostring(err):find("pattern match"))
    -- Within budget, a normal answer.
    assert.are.same({ true, 4, 6, "bar" }, { lim.call(lim.find, { instructions = 1000000 }, "foobar", "(b%a+)") })
  end)

  it("behave as the string library outside a budget", function()
    assert.are.same({ string.gsub("hello world", "o", "0") }, { lim.gsub("hello world", "o", "0") })
  end)
end)
