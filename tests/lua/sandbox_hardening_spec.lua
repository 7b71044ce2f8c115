-- Hardening of the sandbox inside one host: what a hostile check leaves
-- behind for the next run (host-wide limits, the host's metatables, report
-- writers), and the race between checking a path and opening it.
-- The corpus run through the CLI is tests/e2e/sandbox_hostile_spec.lua.
require "diagkit"
local json = require "diagkit.json"
local playbook = require "diagkit.playbook"
local sandbox = require "diagkit.sandbox"
local util = require "spec_util"

local dir
local function check(name, body, params)
  dir = dir or util.tmpdir()
  local path = dir .. "/" .. name .. ".lua"
  util.write(path, string.format([[
return diagkit.playbook{ id = %q, title = "hostile", summary = "leaves something behind",
  params = %s,
  run = function(ctx, params)
%s
  end }
]], name, params or "{}", body))
  return path
end

local function run(path, opts, raw)
  local p = assert(sandbox.policy(opts or { instructions = 50000000 }))
  local def = assert(playbook.load_file(path, { sandbox = sandbox.loader(p) }))
  return assert(playbook.run(def, raw or {}, {}))
end

teardown(function() if dir then util.rmrf(dir) end end)

describe("after a hostile check, the same host", function()
  it("has its regular-expression limits back, and a check could only lower them", function()
    local log = require "diagkit.log"
    local before = log.limits()
    local rep = run(check("limits", [[
      local log = require "diagkit.log"
      ctx:fact("raised", log.limits { match = 4000000000 }.match)
      ctx:fact("lowered", log.limits { match = 1000 }.match)
    ]]))
    assert.are.same({}, rep.errors)
    assert.are.equal(before.match, rep.facts.raised)
    assert.are.equal(1000, rep.facts.lowered)
    assert.are.same(before, log.limits())
  end)

  it("writes reports with json's own metatables", function()
    local rep = run(check("tamper", [[
      local json = require "diagkit.json"
      ctx:fact("seen", tostring(getmetatable(json.array())) .. "," .. tostring(getmetatable(json.null)))
      local ok, err = pcall(setmetatable, json.array(), { __len = function() return 99 end })
      ctx:fact("set", ok and "yes" or err)
    ]]))
    assert.are.same({}, rep.errors)
    assert.are.equal("nil,nil", rep.facts.seen)
    assert.truthy(rep.facts.set:find("sandbox: setmetatable on a value the host made is not allowed", 1, true),
      rep.facts.set)
    assert.are.equal("[]", json.encode(json.array()))
    assert.are.equal('{"a":null}', json.encode { a = json.null })
  end)

  it("keeps the check's own metatables working", function()
    local rep = run(check("own", [[
      local mt = { __index = function(_, k) return k .. "!" end, __metatable = "mine" }
      local t = setmetatable({}, mt)
      ctx:fact("index", t.x)
      ctx:fact("meta", getmetatable(t))
      local ok = pcall(setmetatable, t, {})
      ctx:fact("protected", not ok)
    ]]))
    assert.are.same({}, rep.errors)
    assert.are.equal("x!", rep.facts.index)
    assert.are.equal("mine", rep.facts.meta)
    assert.is_true(rep.facts.protected)
  end)
end)

describe("a path swapped between the check and the open", function()
  if package.config:sub(1, 1) == "\\" then pending("symbolic links race: POSIX only") return end

  it("never hands a check a file outside the allowed folders", function()
    local allowed = util.tmpdir()
    util.write(allowed .. "/ok.txt", "allowed contents\n")
    local secret = util.tmpdir()
    util.write(secret .. "/secret.txt", "SECRET\n")
    -- Another process flips allowed/link between the allowed file and the
    -- secret one (an atomic rename each time, so the link always exists) as
    -- fast as it can while the check opens it 20,000 times. Checking the name
    -- and then opening it leaked the secret about once in 10,000 opens here.
    local flipper = io.popen(string.format([[cd %s && python3 -c '
import os, time
end_at = time.time() + 60
while time.time() < end_at:
    os.symlink("ok.txt", "l1"); os.replace("l1", "link")
    os.symlink(%q, "l2"); os.replace("l2", "link")
' >/dev/null 2>&1 & echo $!]], util.q(allowed), secret .. "/secret.txt"))
    local pid = flipper:read("l")
    flipper:close()
    while not util.exists(allowed .. "/link") do end
    local rep = run(check("race", [[
      local got, refused, secret = 0, 0, 0
      for _ = 1, 20000 do
        local ok, f, err = pcall(io.open, params.link)
        if ok and not f then ctx:fact("last_error", err) end
        if ok and f then
          local text = f:read("a") or ""
          f:close()
          if text:find("SECRET", 1, true) then secret = secret + 1 else got = got + 1 end
        else
          refused = refused + 1
        end
      end
      ctx:fact("got", got)
      ctx:fact("refused", refused)
      ctx:fact("secret", secret)
    ]], '{ link = { type = "string", required = true, help = "a link (not a path param: only --allow-read allows it)" } }'),
      { instructions = 2000000000, allow_read = { allowed } }, { link = allowed .. "/link" })
    os.execute("kill " .. pid .. " 2>/dev/null")
    util.rmrf(allowed)
    util.rmrf(secret)
    assert.are.same({}, rep.errors)
    assert.are.equal(0, rep.facts.secret)
    -- the race really ran: both outcomes were seen
    assert.is_true(rep.facts.got > 0 and rep.facts.refused > 0,
      "got " .. rep.facts.got .. ", refused " .. rep.facts.refused .. " " .. tostring(rep.facts.last_error))
  end)
end)
