-- `diagkit explain`: the acceptance list of issue 2, asserting names and
-- messages of the most likely reading, through the real CLI.
local cli = require "cli_helper"
local json = require "diagkit.json"

local function explain(...)
  local r = cli.run({ "explain", "--format", "json", ... })
  assert.are.equal(0, r.code, r.stderr)
  return json.decode(r.stdout).interpretations
end

local function find(list, kind, name)
  for _, i in ipairs(list) do
    if i.kind == kind and (name == nil or i.name == name) then return i end
  end
end

describe("diagkit explain", function()
  local cases = {
    { "0xC0000005", "ntstatus", "STATUS_ACCESS_VIOLATION", "access violation" },
    { "0xC0000135", "ntstatus", "STATUS_DLL_NOT_FOUND", "was not found" },
    { "0xC0000139", "ntstatus", "STATUS_ENTRYPOINT_NOT_FOUND", "entry point" },
    { "0xC000007B", "ntstatus", "STATUS_INVALID_IMAGE_FORMAT", "" },
    { "0xC00000FD", "ntstatus", "STATUS_STACK_OVERFLOW", "stack" },
    { "0xC0000409", "ntstatus", "STATUS_STACK_BUFFER_OVERRUN", "overrun" },
    { "0xC000013A", "ntstatus", "STATUS_CONTROL_C_EXIT", "" },
    { "3221225477", "ntstatus", "STATUS_ACCESS_VIOLATION", "access violation" },
    { "-1073741515", "ntstatus", "STATUS_DLL_NOT_FOUND", "was not found" },
  }
  for _, c in ipairs(cases) do
    it(c[1] .. " is " .. c[3] .. " first", function()
      local first = explain(c[1])[1]
      assert.are.equal(c[2], first.kind)
      assert.are.equal(c[3], first.name)
      assert.truthy(first.message:lower():find(c[4], 1, true), first.message)
    end)
  end

  it("0x80070005 is an HRESULT wrapping Win32 ERROR_ACCESS_DENIED", function()
    local first = explain("0x80070005")[1]
    assert.are.equal("hresult", first.kind)
    assert.are.equal("E_ACCESSDENIED", first.name)
    assert.are.equal("win32", first.wraps.kind)
    assert.are.equal("ERROR_ACCESS_DENIED", first.wraps.name)
    assert.are.equal(5, first.wraps.value)
    assert.are.equal(7, first.facility.code)
  end)

  it("0x80000100 is Wine's stub exception and points at missing-dll", function()
    local list = explain("0x80000100")
    local wine = find(list, "wine")
    assert.truthy(wine, "no Wine reading")
    assert.truthy(wine.message:lower():find("stub"), wine.message)
    assert.are.equal("missing-dll", wine.meaning.next)
  end)

  it("2 in Go context is a panic first", function()
    local first = explain("--context", "go", "2")[1]
    assert.are.equal("go", first.kind)
    assert.truthy(first.message:lower():find("panic"), first.message)
    assert.are.equal("go-crash", first.meaning.next)
  end)

  it("'exit status 2' is read like the number 2", function()
    local list = explain("exit status 2")
    assert.truthy(find(list, "go"))
    assert.truthy(find(list, "errno", "ENOENT"))
    assert.truthy(find(list, "win32", "ERROR_FILE_NOT_FOUND"))
  end)

  for code, sig in pairs({ [134] = "SIGABRT", [137] = "SIGKILL", [139] = "SIGSEGV" }) do
    it(code .. " is a shell status for " .. sig .. " (128+N) first", function()
      local first = explain(tostring(code))[1]
      assert.are.equal("shell", first.kind)
      assert.are.equal(sig, first.wraps.name)
      assert.truthy(first.meaning, "no practical meaning attached")
    end)
  end

  it("127 is the shell's command-not-found", function()
    local first = explain("127")[1]
    assert.are.equal("shell", first.kind)
    assert.truthy(first.message:lower():find("not found"), first.message)
    -- and also ERROR_PROC_NOT_FOUND for a Windows program returning GetLastError()
    assert.truthy(find(explain("127"), "win32", "ERROR_PROC_NOT_FOUND"))
  end)

  -- name, kind, value (when checked), text of the message, next playbook
  local by_name = {
    { "SIGKILL", "signal", 9, "kill" },
    { "ENOENT", "errno", nil, "no such file" },
    { "ERROR_MOD_NOT_FOUND", "win32", 126, "module could not be found", "missing-dll" },
  }
  for _, c in ipairs(by_name) do
    it(c[1] .. " by name", function()
      local first = explain(c[1])[1]
      assert.are.equal(c[2], first.kind)
      if c[3] then assert.are.equal(c[3], first.value) end
      assert.truthy(first.message:lower():find(c[4], 1, true), first.message)
      if c[5] then assert.are.equal(c[5], first.meaning.next) end
    end)
  end

  it("text output names the code and the next playbook", function()
    local r = cli.run({ "explain", "0xC0000135" })
    assert.are.equal(0, r.code)
    assert.truthy(r.stdout:find("STATUS_DLL_NOT_FOUND", 1, true))
    assert.truthy(r.stdout:find("next: diagkit run missing-dll", 1, true))
    assert.falsy(r.stdout:find("\27[", 1, true), "colour codes when not on a TTY")
  end)

  it("garbage is a usage error on one line", function()
    local r = cli.run({ "explain", "not-a-code-at-all" })
    assert.are.equal(64, r.code)
    assert.are.equal(1, select(2, r.stderr:gsub("\n", "")))
  end)
end)
