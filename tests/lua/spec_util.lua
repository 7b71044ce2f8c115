-- Helpers the specs of tests/lua and tests/e2e share (both folders are on
-- busted's lpath): where the sources, the build and the fixtures are, temporary
-- files and folders, shell commands, and running a bundled playbook and
-- picking findings out of its report.
local M = {}

M.src = os.getenv("DK_SOURCE_DIR") or "."
M.bin = os.getenv("DK_BINARY_DIR") or "build"
M.go_recorded = M.src .. "/tests/fixtures/go/recorded/go1.19.8"
M.evtx_fx = M.src .. "/tests/fixtures/evtx/"
M.shared = M.src .. "/../shared/data" -- large real samples, when present
M.deps_fx = M.bin .. "/deps-fixtures"
M.wine_dlls = "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows"

-- Files and folders --------------------------------------------------------

--- s quoted for sh.
function M.q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

--- The whole file; raises when it cannot be opened.
function M.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

--- The whole file, or nil when it cannot be opened.
function M.read_if(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

--- Writes data to path (chmod mode when given); returns path.
function M.write(path, data, mode)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
  if mode then assert(os.execute("chmod " .. mode .. " " .. M.q(path))) end
  return path
end

--- A new temporary file holding content (chmod mode when given).
function M.tmpfile(content, mode)
  return M.write(os.tmpname(), content, mode)
end

--- A new, empty temporary folder.
function M.tmpdir()
  local d = os.tmpname()
  os.remove(d)
  assert(os.execute("mkdir -p " .. M.q(d)))
  return d
end

function M.rmrf(dir) os.execute("rm -rf " .. M.q(dir)) end

function M.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- Shell commands -------------------------------------------------------------

--- True when cmd exits 0.
function M.ok(cmd) return os.execute(cmd) == true end

--- Runs cmd; raises naming it when it fails.
function M.must(cmd) assert(os.execute(cmd), cmd) end

--- True when the program is on PATH.
function M.have(program) return M.ok("command -v " .. program .. " >/dev/null 2>&1") end

--- cmd's stdout and stderr, and its exit status (0 when it succeeded).
function M.output(cmd)
  local p = assert(io.popen(cmd .. " 2>&1", "r"))
  local out = p:read("a")
  local ok, _, code = p:close()
  return out, ok and 0 or code
end

--- The fixtures of tests/fixtures/deps/build.sh (built once, under the build
--- folder); with rel, the path of one of them.
local deps_built = false
function M.deps_fixtures(rel)
  if not deps_built then
    -- not the sanitizer runtime the ASan test run preloads into lua5.4
    local out, code = M.output("env -u LD_PRELOAD " .. M.src .. "/tests/fixtures/deps/build.sh " .. M.deps_fx)
    assert(code == 0, "fixture build failed:\n" .. out)
    deps_built = true
  end
  return rel and (M.deps_fx .. "/" .. rel) or M.deps_fx
end

--- Asserts that f(...) is an expected failure: nil, a message, code; and,
--- when text is given, that the message holds it (plain text). Returns the message.
function M.fails(code, text, f, ...)
  local luassert = require "luassert"
  local r, msg, c = f(...)
  luassert.is_nil(r)
  luassert.are.equal(code, c, msg)
  if text then luassert.truthy(tostring(msg):find(text, 1, true), msg) end
  return msg
end

-- Playbooks and reports --------------------------------------------------------

--- Runs the bundled playbook id with raw params (and fake modules); returns
--- the report, raising on a bad parameter.
function M.run_playbook(id, raw, modules)
  local playbook = require "diagkit.playbook"
  local def = assert(playbook.find(id))
  return assert(playbook.run(def, raw, { modules = modules }))
end

--- The findings of rep whose id is id, in order.
function M.findings(rep, id)
  local out = {}
  for _, f in ipairs(rep.findings) do
    if f.id == id then out[#out + 1] = f end
  end
  return out
end

--- The first finding of rep whose id is id, or nil.
function M.finding(rep, id) return M.findings(rep, id)[1] end

--- The evidence entries of finding f of kind kind, in order.
function M.evidence(f, kind)
  local out = {}
  for _, e in ipairs(f.evidence or {}) do
    if e.kind == kind then out[#out + 1] = e end
  end
  return out
end

--- rep's findings by id (the last one of an id).
function M.by_id(rep)
  local out = {}
  for _, f in ipairs(rep.findings) do out[f.id] = f end
  return out
end

return M
