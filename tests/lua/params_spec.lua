local params = require "diagkit.params"

describe("diagkit.params", function()
  local decl = {
    argv = { type = "argv", required = true, help = "program" },
    timeout = { type = "duration", default = 60, min = 0.001, help = "t" },
    depth = { type = "int", min = 1, max = 64, default = 16, help = "d" },
    arch = { type = "choice", choices = { "auto", "x64" }, default = "auto", help = "a" },
    run = { type = "bool", default = false, help = "r" },
  }

  it("accepts a valid declaration and refuses typos", function()
    params.check_declaration(decl, "t.lua: ")
    assert.has_error(function()
      params.check_declaration({ x = { type = "strng", help = "h" } }, "t.lua: ")
    end, "t.lua: params.x: unknown type 'strng'")
    assert.has_error(function()
      params.check_declaration({ x = { type = "string", hlp = "h" } }, "t.lua: ")
    end, "t.lua: params.x: unknown field 'hlp'")
  end)

  it("converts command-line strings and fills defaults", function()
    local v = assert(params.resolve(decl, { argv = { "prog" }, timeout = "250ms", depth = "3", run = "yes" }))
    assert.are.equal(0.25, v.timeout)
    assert.are.equal(3, v.depth)
    assert.is_true(v.run)
    assert.are.equal("auto", v.arch)
  end)

  it("names the parameter and what it expected", function()
    local _, err = params.resolve(decl, { argv = { "p" }, depth = "100" })
    assert.are.equal("parameter 'depth' must be an integer <= 64, got '100'", err)
    _, err = params.resolve(decl, { argv = { "p" }, arch = "arm" })
    assert.are.equal("parameter 'arch' must be one of auto, x64, got 'arm'", err)
    _, err = params.resolve(decl, { argv = { "p" }, colour = "1" })
    assert.truthy(err:find("unknown parameter 'colour'", 1, true))
    _, err = params.resolve(decl, {})
    assert.truthy(err:find("needs a program to run", 1, true))
  end)
end)
