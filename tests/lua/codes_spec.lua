-- diagkit.codes through Lua: the shape of an interpretation, context ordering,
-- the three kinds of failure (bad input -> nil, message, code; wrong types and
-- bad options -> error), and name/value/search/counts.
require "diagkit"
local codes = require "diagkit.codes"

local function find(list, kind, name)
  for rank, i in ipairs(list) do
    if i.kind == kind and (name == nil or i.name == name) then return i, rank end
  end
end

describe("diagkit.codes.lookup", function()
  it("explains 0xC0000005 with every field", function()
    local i = codes.lookup("0xC0000005")[1]
    assert.are.equal("ntstatus", i.kind)
    assert.are.equal("STATUS_ACCESS_VIOLATION", i.name)
    assert.are.equal(3221225477, i.value)
    assert.are.equal("0xC0000005", i.hex)
    assert.are.equal(-1073741819, i.signed)
    assert.are.equal("error", i.severity)
    assert.are.equal(false, i.customer)
    assert.are.same({ code = 0 }, i.facility)
    assert.truthy(i.message:find("Access Violation", 1, true), i.message)
    assert.truthy(i.why:find("NTSTATUS", 1, true), i.why)
    assert.is_nil(i.wraps)
  end)

  local firsts = {
    { "0xC0000135", "STATUS_DLL_NOT_FOUND", "was not found" },
    { "0xC0000139", "STATUS_ENTRYPOINT_NOT_FOUND", "entry point" },
    { "0xC000007B", "STATUS_INVALID_IMAGE_FORMAT", "not designed to run on Windows" },
    { "0xC00000FD", "STATUS_STACK_OVERFLOW", "stack" },
    { "0xC0000409", "STATUS_STACK_BUFFER_OVERRUN", "overrun" },
    { "0xC000013A", "STATUS_CONTROL_C_EXIT", "CTRL+C" },
    { "3221225477", "STATUS_ACCESS_VIOLATION", "referenced memory" },
    { "-1073741515", "STATUS_DLL_NOT_FOUND", "was not found" },
    { "code=3221225477", "STATUS_ACCESS_VIOLATION", "referenced memory" },
    { "exit code 0xc0000005", "STATUS_ACCESS_VIOLATION", "referenced memory" },
  }
  for _, c in ipairs(firsts) do
    it(c[1] .. " is " .. c[2] .. " first", function()
      local i = codes.lookup(c[1])[1]
      assert.are.equal("ntstatus", i.kind)
      assert.are.equal(c[2], i.name)
      assert.truthy(i.message:find(c[3], 1, true), i.message)
    end)
  end

  it("takes integers too, keeping their sign", function()
    assert.are.equal("STATUS_ACCESS_VIOLATION", codes.lookup(3221225477)[1].name)
    assert.are.equal("STATUS_ACCESS_VIOLATION", codes.lookup(-1073741819)[1].name)
    local i = codes.lookup(-11)[1] -- Python's returncode for SIGSEGV
    assert.are.equal("signal", i.kind)
    assert.are.equal("SIGSEGV", i.name)
  end)

  it("decodes 0x80070005 as an HRESULT wrapping ERROR_ACCESS_DENIED", function()
    local i = codes.lookup("0x80070005")[1]
    assert.are.equal("hresult", i.kind)
    assert.are.equal("E_ACCESSDENIED", i.name)
    assert.are.equal("error", i.severity)
    assert.are.same({ code = 7, name = "FACILITY_WIN32" }, i.facility)
    assert.are.equal("win32", i.wraps.kind)
    assert.are.equal("ERROR_ACCESS_DENIED", i.wraps.name)
    assert.are.equal(5, i.wraps.value)
    assert.are.equal("0x00000005", i.wraps.hex)
    assert.are.equal("Access is denied.", i.wraps.message)
  end)

  it("names Wine's stub exception", function()
    local w = find(codes.lookup("0x80000100"), "wine")
    assert.are.equal("EXCEPTION_WINE_STUB", w.name)
    assert.truthy(w.message:find("unimplemented function stub", 1, true))
  end)

  it("puts the Go panic first for 2 in Go context", function()
    local list = codes.lookup(2, { context = "go" })
    assert.are.equal("go", list[1].kind)
    assert.truthy(list[1].message:find("panic", 1, true))
    assert.truthy(find(list, "errno", "ENOENT"))
    assert.truthy(find(list, "win32", "ERROR_FILE_NOT_FOUND"))
  end)

  for code, sig in pairs({ [134] = "SIGABRT", [137] = "SIGKILL", [139] = "SIGSEGV" }) do
    it(code .. " is a shell 128 + " .. sig .. " first", function()
      local i = codes.lookup(code)[1]
      assert.are.equal("shell", i.kind)
      assert.are.equal(code - 128, i.signal)
      assert.are.equal(sig, i.wraps.name)
      assert.are.equal("signal", i.wraps.kind)
      assert.are.equal(string.format("as a shell exit status: 128 + %d (%s)", code - 128, sig), i.why)
    end)
  end

  it("reads 127 as command-not-found, or ERROR_PROC_NOT_FOUND on Windows", function()
    local list = codes.lookup("127")
    assert.are.equal("shell", list[1].kind)
    assert.truthy(list[1].message:find("not found", 1, true))
    local _, rank = find(list, "win32", "ERROR_PROC_NOT_FOUND")
    assert.truthy(rank and rank > 1)
    assert.are.equal("ERROR_PROC_NOT_FOUND", codes.lookup("127", { context = "windows" })[1].name)
  end)

  it("lists both ERROR_ACCESS_DENIED and EIO for 5", function()
    local list = codes.lookup("5")
    assert.truthy(find(list, "win32", "ERROR_ACCESS_DENIED"))
    assert.truthy(find(list, "errno", "EIO"))
    assert.are.equal("errno", codes.lookup("5", { context = "linux" })[1].kind)
  end)

  it("reads names and phrases", function()
    local k = codes.lookup("SIGKILL")[1]
    assert.are.equal("signal", k.kind)
    assert.are.equal(9, k.value)
    assert.truthy(k.message:find("Killed", 1, true))
    assert.are.equal("SIGKILL", codes.lookup("killed by signal 9")[1].name)
    assert.are.equal("SIGKILL", codes.lookup("signal: killed")[1].name)
    local e = codes.lookup("ENOENT")[1]
    assert.are.equal("errno", e.kind)
    assert.truthy(e.message:lower():find("no such file", 1, true))
    local m = codes.lookup("ERROR_MOD_NOT_FOUND")[1]
    assert.are.equal("win32", m.kind)
    assert.are.equal(126, m.value)
    assert.are.equal("The specified module could not be found.", m.message)
    local z = codes.lookup("0")[1]
    assert.are.equal("ERROR_SUCCESS", z.name)
    assert.truthy(#z.aliases >= 2)
  end)

  it("returns nil, message, DK_BAD_INPUT for input it cannot read", function()
    for _, bad in ipairs({ "", "   ", "garbage words", "NOT_A_CODE", "0x", "4294967296", "-2147483649", "12abc", 2.5 }) do
      local list, msg, code = codes.lookup(bad)
      assert.is_nil(list, tostring(bad))
      assert.are.equal("string", type(msg))
      assert.are.equal("DK_BAD_INPUT", code)
    end
  end)

  it("returns an empty list for a valid number nothing explains", function()
    assert.are.same({}, codes.lookup("0x00012345"))
  end)

  it("raises for wrong argument types and unknown contexts", function()
    assert.has_error(function() codes.lookup({}) end)
    assert.has_error(function() codes.lookup(nil) end)
    assert.has_error(function() codes.lookup(2, "go") end)
    assert.has_error(function() codes.lookup(2, { context = "solaris" }) end)
    assert.has_error(function() codes.lookup(2, { context = 1 }) end)
  end)
end)

describe("diagkit.codes.name / value / search / counts", function()
  it("name(kind, value) gives name and message, or nil", function()
    local name, msg = codes.name("win32", 5)
    assert.are.equal("ERROR_ACCESS_DENIED", name)
    assert.are.equal("Access is denied.", msg)
    assert.are.equal("STATUS_DLL_NOT_FOUND", (codes.name("ntstatus", 0xC0000135)))
    local n2, m2 = codes.name("shell", 127) -- a convention: a meaning, no name
    assert.is_nil(n2)
    assert.truthy(m2:find("not found", 1, true))
    assert.is_nil(codes.name("ntstatus", 0x00012345))
    assert.is_nil(codes.name("win32", -1))
    assert.has_error(function() codes.name("bogus", 1) end)
    assert.has_error(function() codes.name("win32", "five") end)
  end)

  it("value(name) gives value and kind, or nil", function()
    assert.are.same({ 0xC0000005, "ntstatus" }, { codes.value("STATUS_ACCESS_VIOLATION") })
    assert.are.same({ 0x80070005, "hresult" }, { codes.value("E_ACCESSDENIED") })
    assert.are.same({ 9, "signal" }, { codes.value("SIGKILL") })
    assert.are.same({ 126, "win32" }, { codes.value("error_mod_not_found") })
    assert.is_nil(codes.value("NOT_A_CODE"))
    assert.has_error(function() codes.value() end)
  end)

  it("search(text) finds names and messages, capped", function()
    local list, total = codes.search("access violation")
    assert.truthy(find(list, "ntstatus", "STATUS_ACCESS_VIOLATION"))
    assert.truthy(total >= #list)
    local few, all = codes.search("not found", 3)
    assert.are.equal(3, #few)
    assert.truthy(all > 3)
    assert.are.same({}, (codes.search("zzzqqq-nothing")))
    assert.has_error(function() codes.search("") end)
    assert.has_error(function() codes.search("x", 0) end)
  end)

  it("counts() reports every table", function()
    local c = codes.counts()
    assert.truthy(c.ntstatus >= 1797)
    assert.truthy(c.win32 >= 2000)
    assert.truthy(c.hresult >= 1378)
    assert.are.equal(35, c.signal)
    assert.are.equal(3, c.go)
    assert.are.equal(2, c.wine)
    assert.truthy(c.errno > 30)
    assert.are.equal(33, c.hresult_facilities)
  end)
end)
