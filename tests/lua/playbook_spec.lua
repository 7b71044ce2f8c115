-- The framework and the exit-code playbook against recorded facts: the
-- native modules are replaced through ctx (no package.loaded tricks).
require "diagkit"
local playbook = require "diagkit.playbook"
local format_text = require "diagkit.format.text"
local format_nagios = require "diagkit.format.nagios"

local function exit_code_with(result, platform)
  local def = assert(playbook.find("exit-code"))
  local fake_proc = { run = function() return result end }
  local fake_sys = setmetatable({ platform = function()
    return platform or { os = "linux", arch = "x86_64" }
  end }, { __index = require "diagkit.sys" })
  return assert(playbook.run(def, { argv = { "prog" } }, { modules = { proc = fake_proc, sys = fake_sys } }))
end

describe("playbook definitions", function()
  it("refuse unknown fields, naming the file", function()
    assert.has_error(function()
      playbook.define({ id = "x", title = "t", summary = "s", run = print, tilte = "t" }, "x.lua")
    end, "x.lua: unknown field 'tilte'")
  end)

  it("refuse bad ids and missing run", function()
    assert.has_error(function() playbook.define({ id = "X y", title = "t", summary = "s", run = print }) end)
    assert.has_error(function() playbook.define({ id = "x", title = "t", summary = "s" }) end,
      "missing field 'run'")
  end)

  it("are all valid in the catalog", function()
    local list, errors = playbook.catalog()
    assert.are.same({}, errors)
    assert.truthy(#list >= 1)
  end)

  it("suggest the closest name", function()
    assert.are.equal("exit-code", playbook.closest("exitcode", { "exit-code", "missing-dll" }))
    assert.is_nil(playbook.closest("zzzzzz", { "exit-code" }))
  end)
end)

describe("exit-code on recorded results", function()
  it("reads a full 32-bit Windows code as an NTSTATUS", function()
    local rep = exit_code_with({ status = "exited", exit_code = 0xC0000135, stderr = "", wall_ms = 5 },
      { os = "windows", arch = "x86_64" })
    assert.are.equal("exit.ntstatus.status_dll_not_found", rep.findings[1].id)
    assert.are.equal("missing-dll", rep.findings[1].next)
    assert.are.equal(2, rep.exit_status)
  end)

  it("reads Wine's stub exception as a missing entry point", function()
    local rep = exit_code_with({ status = "exited", exit_code = 0x80000100, stderr = "", wall_ms = 5 },
      { os = "windows", arch = "x86_64", wine = "8.0" })
    assert.are.equal("missing-dll", rep.findings[1].next)
  end)

  it("sees a Go panic in stderr", function()
    local rep = exit_code_with({ status = "exited", exit_code = 2, wall_ms = 3,
      stderr = "panic: runtime error: index out of range [5] with length 3\n\ngoroutine 1 [running]:\nmain.main()\n" })
    assert.are.equal("exit.go.panic", rep.findings[1].id)
    assert.truthy(rep.findings[1].detail:find("index out of range", 1, true))
  end)

  it("quotes glibc's reason for an abort", function()
    local rep = exit_code_with({ status = "signaled", signal = 6, signal_name = "SIGABRT", wall_ms = 3,
      stderr = "free(): double free detected in tcache 2\n" })
    assert.truthy(rep.findings[1].detail:find("double free", 1, true))
  end)

  it("says it could not diagnose when the toolkit cannot run anything", function()
    local def = assert(playbook.find("exit-code"))
    local rep = playbook.run(def, { argv = { "x" } }, { modules = {
      proc = { run = function() return nil, "pipe failed", "EMFILE" end } } })
    assert.are.equal("unknown", rep.status)
    assert.are.equal(3, rep.exit_status)
  end)
end)

describe("formatters", function()
  local rep = exit_code_with({ status = "signaled", signal = 11, signal_name = "SIGSEGV", wall_ms = 3, stderr = "" })

  it("colour only when asked", function()
    assert.falsy(format_text.render(rep, { colour = false }):find("\27[", 1, true))
    assert.truthy(format_text.render(rep, { colour = true }):find("\27[", 1, true))
  end)

  it("honour NO_COLOR", function()
    -- want_colour reads the environment; under busted stdout is not a TTY either
    assert.is_false(format_text.want_colour(1))
  end)

  it("nagios keeps the status line on one line", function()
    local first = format_nagios.render(rep):match("^[^\n]*")
    assert.truthy(first:find("^DIAGKIT EXIT%-CODE CRITICAL"))
    assert.truthy(first:find("| errors=1;;;0", 1, true))
  end)
end)
