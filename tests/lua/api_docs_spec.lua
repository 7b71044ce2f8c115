-- Every public function is documented: each native module's functions (as
-- core.so registers them), the methods of the handles they return (found
-- through the metatables luaL_newmetatable registered), and the public Lua
-- modules' functions, must appear in docs/lua-api.md or the module's own
-- page docs/lua-api/<page>.md, in a heading or in code:
--   `module.name` (e.g. `proc.run(spec)`) for a module function,
--   `:name(` or `:name{` (e.g. `h:wait([timeout])`) for a handle or ctx method.
require "diagkit"
local recording = require "diagkit.recording"

local U = require "spec_util"

local SRC, read = U.src, U.read_if

-- The parts of a Markdown file that name API: headings, inline code spans
-- and fenced code blocks; prose does not count.
local function api_text(md)
  if not md then return "" end
  local parts = {}
  local in_fence = false
  for line in (md .. "\n"):gmatch("([^\n]*)\n") do
    if line:match("^%s*```") then
      in_fence = not in_fence
    elseif in_fence or line:match("^#") then
      parts[#parts + 1] = line
    else
      for code in line:gmatch("`([^`]+)`") do parts[#parts + 1] = code end
    end
  end
  return table.concat(parts, "\n")
end

local index_text = api_text(read(SRC .. "/docs/lua-api.md"))
local pages = {}
local function page(name)
  if pages[name] == nil then pages[name] = api_text(read(SRC .. "/docs/lua-api/" .. name .. ".md")) end
  return pages[name]
end

local function escape(s) return (s:gsub("%p", "%%%0")) end

-- `prefix.name` followed by something that is not part of a longer name.
local function names(text, prefix, name)
  return text:find("%f[%w_]" .. escape(prefix .. "." .. name) .. "%f[^%w_]") ~= nil
end
local function method(text, name)
  return text:find(":" .. escape(name) .. "[%({]") ~= nil
end

-- Missing entries as "where: what" lines.
local function check_functions(missing, prefix, page_name, fns)
  for _, fn in ipairs(fns) do
    if not (names(index_text, prefix, fn) and names(page(page_name), prefix, fn)) then
      missing[#missing + 1] = string.format("%s.%s: not in %s", prefix, fn,
        not names(index_text, prefix, fn) and "docs/lua-api.md" or ("docs/lua-api/" .. page_name .. ".md"))
    end
  end
end

local function check_methods(missing, what, page_name, fns)
  for _, fn in ipairs(fns) do
    if not (method(index_text, fn) and method(page(page_name), fn)) then
      missing[#missing + 1] = string.format("%s:%s: not in %s", what, fn,
        not method(index_text, fn) and "docs/lua-api.md" or ("docs/lua-api/" .. page_name .. ".md"))
    end
  end
end

local function functions_of(t)
  local out = {}
  for k, v in pairs(t) do
    if type(k) == "string" and type(v) == "function" and not k:match("^_") then out[#out + 1] = k end
  end
  table.sort(out)
  return out
end

-- The public Lua modules: require name -> {prefix in the docs, page}.
local LUA_MODULES = {
  ["diagkit"] = { prefix = "diagkit", page = "diagkit" },
  ["diagkit.testing"] = { prefix = "testing", page = "testing" },
  ["diagkit.recording"] = { prefix = "recording", page = "testing" },
  ["diagkit.json"] = { prefix = "json", page = "json" },
  ["diagkit.report"] = { prefix = "report", page = "report" },
  ["diagkit.service"] = { prefix = "service", page = "service" },
  ["diagkit.progress"] = { prefix = "progress", page = "progress" },
  ["diagkit.files"] = { prefix = "files", page = "files" },
  ["diagkit.deptree"] = { prefix = "deptree", page = "deptree" },
  ["diagkit.goinput"] = { prefix = "goinput", page = "goinput" },
}

describe("docs/lua-api.md", function()
  it("names every function of every native module, on the index and the module's page", function()
    local missing = {}
    local natives = recording.native_modules()
    assert.is_true(#natives >= 10, "core.so registered " .. #natives .. " modules")
    table.insert(natives, "limits")
    for _, name in ipairs(natives) do
      check_functions(missing, name, name, functions_of(require("diagkit." .. name)))
    end
    assert.are.same({}, missing)
  end)

  it("names every method of the handles the native modules return", function()
    local missing, seen = {}, 0
    for key, mt in pairs(debug.getregistry()) do
      local module = type(key) == "string" and key:match("^diagkit%.(%w+)%.%w+$")
      if module and type(mt) == "table" and type(rawget(mt, "__index")) == "table" then
        seen = seen + 1
        check_methods(missing, key, module, functions_of(mt.__index))
      end
    end
    -- proc handles, log regexes and files, evtx files, reg hives, deps walkers
    assert.is_true(seen >= 6, "found " .. seen .. " handle metatables")
    assert.are.same({}, missing)
  end)

  it("names every function of the public Lua modules and every ctx method", function()
    local missing = {}
    for req, doc in pairs(LUA_MODULES) do
      check_functions(missing, doc.prefix, doc.page, functions_of(require(req)))
    end
    -- ctx: the metatable of the ctx a playbook receives
    local playbook = require "diagkit.playbook"
    local ctx_mt
    playbook.run(playbook.define({ id = "x", title = "x", summary = "x",
      run = function(ctx) ctx_mt = getmetatable(ctx) end }, "test"), {})
    check_methods(missing, "ctx", "ctx", functions_of(ctx_mt))
    assert.are.same({}, missing)
  end)

  it("fails when an entry is taken out (the check is not vacuous)", function()
    assert.is_true(names(index_text, "proc", "run"))
    local without = index_text:gsub("proc%.run", "proc.xxx")
    assert.is_false(names(without, "proc", "run"))
    assert.is_true(method(index_text, "wait"))
    assert.is_false(names("`proc.running`", "proc", "run"))
    assert.is_false(names("proc.run is mentioned in prose only", "proc", "run") and false)
    assert.are.equal("", api_text("proc.run in prose"))
  end)
end)
