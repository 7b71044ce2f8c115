-- `diagkit run ... --format html` on the real inputs of the other e2e specs,
-- opened in headless Chromium: the screenshot is not blank and shows the
-- severity colour, the DOM holds the SVG pictures and no script, and the
-- browser logs no console message (a CSP violation or script error would be
-- one). Program output with <script> in it stays text. Skipped without the
-- Debian package chromium.
local cli = require "cli_helper"
local U = require "spec_util"

local FX = U.deps_fx
local RECORDED = U.go_recorded .. "/linux"
local q, slurp = U.q, U.read

local function sh(cmd)
  local out, code = U.output(cmd)
  return code == 0, out
end

local have_chromium = U.have("chromium")

-- Opens file:// path in headless Chromium twice (screenshot, then DOM);
-- returns {png=, dom=, console={lines}}.
local function browse(path, dir)
  local profile = dir .. "/profile"
  local base = string.format("timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars"
    .. " --user-data-dir=%s --enable-logging=stderr --v=0 --window-size=1200,2000", q(profile))
  local png = path .. ".png"
  local ok, log1 = sh(string.format("%s --screenshot=%s file://%s", base, q(png), q(path)))
  assert(ok, "chromium --screenshot failed:\n" .. log1)
  local dom_file = path .. ".dom"
  local ok2 = os.execute(string.format("%s --dump-dom file://%s >%s 2>%s", base, q(path), q(dom_file),
    q(dom_file .. ".log")))
  local log2 = slurp(dom_file .. ".log")
  assert(ok2, "chromium --dump-dom failed:\n" .. log2)
  local console = {}
  for line in (log1 .. "\n" .. log2):gmatch("[^\n]+") do
    if line:find(":CONSOLE", 1, true) or line:find("Uncaught", 1, true) then console[#console + 1] = line end
  end
  return { png = png, dom = slurp(dom_file), console = console }
end

local function colours(png, ...)
  local ok, out = sh(string.format("python3 %s/tests/e2e/png_colours.py %s %s", q(cli.src), q(png),
    table.concat({ ... }, " ")))
  assert(ok, out)
  return assert(require("diagkit.json").decode(out))
end

local function count(s, pat)
  return select(2, s:gsub(pat, ""))
end

describe("diagkit run --format html in Chromium", function()
  local dir
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. q(dir .. "/locked/inner") .. " && chmod 700 " .. q(dir .. "/locked")))
  end)
  teardown(function() os.execute("rm -rf " .. q(dir)) end)

  it("logs console messages at all (the check below can fail)", function()
    if not have_chromium then return pending("chromium is not installed (Debian package chromium)") end
    local page = dir .. "/control.html"
    local f = assert(io.open(page, "wb"))
    f:write([[<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'">]]
      .. "</head><body><p>x</p><script>console.log('ran')</script></body></html>")
    f:close()
    local b = browse(page, dir)
    assert.truthy(#b.console >= 1, "no console line for a blocked inline script")
  end)

  local ok_fx, fx_out
  local cases = {
    { name = "missing-dll", exit = 2, svgs = 1, colour = "c62828", args = function()
      if ok_fx == nil then
        ok_fx, fx_out = sh(cli.src .. "/tests/fixtures/deps/build.sh " .. q(FX))
      end
      assert(ok_fx, "fixture build failed:\n" .. tostring(fx_out))
      return { "run", "missing-dll", "--", FX .. "/elf/origin_missing/app" }
    end, marks = { "libfoo.so", 'class="node bad"' } },
    { name = "goroutine-leak", exit = 1, svgs = 1, colour = "e69500", args = function()
      return { "run", "goroutine-leak", "-p", "dump=" .. RECORDED .. "/leak-1.txt," .. RECORDED .. "/leak-2.txt" }
    end, marks = { 'class="bar"', "main.fetch main.go:13" } },
    { name = "go-memory", exit = 1, svgs = 1, colour = "e69500", args = function()
      return { "run", "go-memory", "-p", "log=" .. RECORDED .. "/gctrace.txt" }
    end, marks = { "<polyline", "live heap (MB)" } },
    { name = "permissions", exit = 2, svgs = 1, colour = "c62828", args = function()
      return { "run", "permissions", "-p", "path=" .. dir .. "/locked/inner/f", "-p", "want=read", "-p", "user=nobody" }
    end, marks = { 'class="node bad"', "not reached" } },
    { name = "exit-code", exit = 2, svgs = 0, colour = "c62828", args = function()
      return { "run", "exit-code", "--", "sh", "-c",
        "echo '<script>document.title=\"pwned\"</script><img src=x onerror=alert(1)>' >&2; exit 3" }
    end, marks = { "&lt;script&gt;document.title" } },
  }

  for _, c in ipairs(cases) do
    it("renders " .. c.name .. " with its pictures, no script and no console message", function()
      if not have_chromium then return pending("chromium is not installed (Debian package chromium)") end
      local out = dir .. "/" .. c.name .. ".html"
      local args = c.args()
      for i, a in ipairs { "--format", "html", "-o", out } do table.insert(args, 2 + i, a) end -- before --
      local r = cli.run(args)
      assert.are.equal(c.exit, r.code, r.stderr)
      local b = browse(out, dir)
      assert.are.same({}, b.console)
      assert.are.equal(c.svgs, count(b.dom, "<svg[%s>]"))
      assert.are.equal(0, count(b.dom:lower(), "<script"))
      assert.are.equal(0, count(b.dom:lower(), "<img"))
      assert.is_nil(b.dom:find("<title>pwned", 1, true))
      for _, m in ipairs(c.marks) do assert.truthy(b.dom:find(m, 1, true), m .. " not in the DOM") end
      local px = colours(b.png, c.colour, "ffffff")
      assert.are.same({ 1200, 2000 }, { px.width, px.height })
      assert.truthy(px.colours >= 20, "only " .. px.colours .. " colours: a blank page?")
      assert.truthy(px.found[c.colour] >= 100, "severity colour #" .. c.colour .. " missing from the screenshot")
      assert.truthy(px.found.ffffff < px.width * px.height, "all white")
    end)
  end
end)
