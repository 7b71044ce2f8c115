local json = require "diagkit.json"

describe("diagkit.json", function()
  it("round-trips nested data with sorted keys", function()
    local s = json.encode({ b = { 1, 2, { c = "x" } }, a = true, n = 1.5 })
    assert.are.equal('{"a":true,"b":[1,2,{"c":"x"}],"n":1.5}', s)
    assert.are.same({ b = { 1, 2, { c = "x" } }, a = true, n = 1.5 }, json.decode(s))
  end)

  it("keeps empty arrays apart from empty objects", function()
    assert.are.equal('{"a":[],"o":{}}', json.encode({ a = json.array(), o = {} }))
  end)

  it("escapes control characters and replaces invalid UTF-8", function()
    assert.are.equal('"a\\nb\\u0001\\""', json.encode('a\nb\1"'))
    assert.are.equal('"\u{FFFD}ok"', json.encode("\255ok"))
  end)

  it("decodes escapes and surrogate pairs", function()
    assert.are.equal("é😀", json.decode('"\\u00e9\\ud83d\\ude00"'))
  end)

  it("reports where bad JSON is", function()
    local v, err = json.decode('{"a": [1, 2,, 3]}')
    assert.is_nil(v)
    assert.truthy(err:find("line 1 (byte 13)", 1, true), err)
    assert.is_nil((json.decode("[1] x")))
    assert.is_nil((json.decode('"\\ud800"')))
    assert.is_nil((json.decode(string.rep("[", 300))))
  end)

  it("refuses values it cannot encode", function()
    assert.has_error(function() json.encode({ f = print }) end)
  end)
end)
