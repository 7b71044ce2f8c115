-- The junit, prometheus and html formats (and diagkit.markup, diagkit.svg)
-- on reports of real playbook runs: a small inline playbook whose findings
-- carry hostile text, and the go playbooks, permissions and missing-dll on
-- real inputs. XML is checked with python3's parser, the exposition format
-- with a strict parser below (and promtool when it is installed).
require "diagkit"
local playbook = require "diagkit.playbook"
local json = require "diagkit.json"
local markup = require "diagkit.markup"
local junit = require "diagkit.format.junit"
local prometheus = require "diagkit.format.prometheus"
local html = require "diagkit.format.html"

local U = require "spec_util"

local src, q, write = U.src, U.q, U.tmpfile
local recorded = U.go_recorded .. "/linux"

-- Output of `python3 -c script file` after writing text to file.
local function python(script, text)
  local path = write(text)
  local p = assert(io.popen("python3 -c " .. q(script) .. " " .. q(path) .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  os.remove(path)
  return ok, out
end

local HOSTILE = "<script>alert('x')</script> & \"q\" \0\27[31m\8\255 \239\191\190 \237\160\128 end"

-- A playbook run whose findings are the given list (and facts), or that raises.
local function report_of(findings, facts, opts)
  local def = playbook.define {
    id = "fmt-test", title = "Formats <test>", summary = "formatter spec",
    run = function(ctx)
      for _, f in ipairs(findings) do ctx:finding(f) end
      for k, v in pairs(facts or {}) do ctx:fact(k, v) end
      if opts and opts.unknown then ctx:unknown(opts.unknown) end
      if opts and opts.raise then error(opts.raise, 0) end
    end,
  }
  return assert(playbook.run(def, {}))
end

local MIXED = {
  { id = "t.crit", severity = "critical", title = "crit " .. HOSTILE, detail = HOSTILE,
    evidence = { { kind = "stderr", value = HOSTILE, source = "stderr" }, { kind = "tbl", value = { a = 1 } } },
    remedy = "fix", next = "exit-code", refs = { "javascript:alert(1)", "https://example.com/?a=1&b=2" } },
  { id = "t.warn", severity = "warning", title = "a warning" },
  { id = "t.info", severity = "info", title = "a note", detail = "noted" },
  { id = "t.err", severity = "error", title = "an error" },
}

local function run(id, raw)
  return assert(playbook.run(assert(playbook.find(id)), raw))
end

describe("diagkit.markup", function()
  it("keeps only XML 1.0 characters, visibly", function()
    local s = markup.clean(HOSTILE .. "\t\n\r")
    assert.is_truthy(utf8.len(s))
    assert.is_nil(s:find("[\0-\8\11\12\14-\31]"))
    assert.truthy(s:find("\u{2400}\u{241B}[31m\u{2408}\u{FFFD}", 1, true), s)
    assert.is_nil(s:find("\239\191\190", 1, true))
    assert.truthy(s:find("\t\n\r", 1, true))
    assert.are.equal("&lt;a&gt; &amp;amp;", markup.text("<a> &amp;"))
    assert.are.equal("&quot;&#39;&#10;&lt;", markup.attr("\"'\n<"))
  end)
end)

describe("format junit", function()
  local SUMMARY = [[
import sys, json, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
s = root.find("testsuite")
cases = []
for c in s.findall("testcase"):
    kids = [(k.tag, k.get("type"), k.get("message"), k.text) for k in c]
    cases.append({"name": c.get("name"), "kids": kids})
print(json.dumps({"root": root.tag, "tests": s.get("tests"), "failures": s.get("failures"),
  "errors": s.get("errors"), "total_tests": root.get("tests"), "cases": cases}))
]]
  local function parse(rep)
    local ok, out = python(SUMMARY, junit.render(rep))
    assert(ok, out)
    return assert(json.decode(out))
  end

  it("maps severities to failures and passing cases, with escaped text that parses back", function()
    local x = parse(report_of(MIXED))
    assert.are.equal("testsuites", x.root)
    assert.are.same({ "4", "3", "0", "4" }, { x.tests, x.failures, x.errors, x.total_tests })
    local by = {}
    for _, c in ipairs(x.cases) do by[c.name:match("^[^:]+")] = c.kids end
    assert.are.same({ "failure", "critical" }, { by["t.crit"][1][1], by["t.crit"][1][2] })
    assert.are.same({ "failure", "warning" }, { by["t.warn"][1][1], by["t.warn"][1][2] })
    assert.are.same({ "failure", "error" }, { by["t.err"][1][1], by["t.err"][1][2] })
    assert.are.equal("system-out", by["t.info"][1][1])
    assert.truthy(by["t.info"][1][4]:find("noted", 1, true))
    -- the hostile text comes back as text, controls as pictures
    local text = by["t.crit"][1][4]
    assert.truthy(text:find("<script>alert('x')</script> & \"q\" \u{2400}\u{241B}[31m", 1, true), text)
    assert.truthy(by["t.crit"][1][3]:find("crit <script>", 1, true))
    assert.truthy(text:find("next: diagkit run exit-code", 1, true))
  end)

  it("has one passing case without findings, and errors for a failed run", function()
    local x = parse(report_of({}))
    assert.are.same({ "1", "0", "0" }, { x.tests, x.failures, x.errors })
    assert.are.same({}, x.cases[1].kids)
    assert.are.equal("fmt-test: no findings", x.cases[1].name)
    x = parse(report_of({}, nil, { raise = "boom <&>\nsecond line" }))
    assert.are.same({ "1", "0", "1" }, { x.tests, x.failures, x.errors })
    assert.are.same({ "error", "playbook-error", "boom <&>" }, { x.cases[1].kids[1][1], x.cases[1].kids[1][2],
      x.cases[1].kids[1][3] })
    x = parse(report_of({}, nil, { unknown = "no input" }))
    assert.are.same({ "error", "could-not-diagnose" }, { x.cases[1].kids[1][1], x.cases[1].kids[1][2] })
  end)

  it("renders a real report (goroutine-leak on recorded dumps)", function()
    local rep = run("goroutine-leak", { dump = { recorded .. "/leak-1.txt", recorded .. "/leak-2.txt" } })
    local x = parse(rep)
    assert.are.equal(tostring(#rep.findings), x.tests)
    assert.are.equal(tostring(rep.counts.warning + rep.counts.error + rep.counts.critical), x.failures)
  end)
end)

-- A strict reader of the text exposition format: HELP and TYPE before a
-- family's samples, each family once, valid names, label values with only
-- \\ \" \n escapes, numeric values, no duplicate series, final newline.
local function parse_exposition(text)
  assert(text:sub(-1) == "\n", "must end with a newline")
  local families, samples, current = {}, {}, nil
  local NAME = "^[%a_:][%w_:]*$"
  for line in text:gmatch("([^\n]*)\n") do
    local kind, name, rest = line:match("^# (%u+) (%S+) ?(.*)$")
    if kind == "HELP" then
      assert(name:match(NAME) and not families[name], "bad or repeated HELP: " .. line)
      families[name] = { help = rest }
      current = name
    elseif kind == "TYPE" then
      assert(current == name and not families[name].type, "TYPE without its HELP: " .. line)
      assert(({ gauge = true, counter = true, untyped = true })[rest], "bad type: " .. line)
      families[name].type = rest
    else
      local metric, labels, value = line:match("^([%a_:][%w_:]*)(%b{}) (%S+)$")
      assert(metric, "not a sample line: " .. line)
      assert(metric == current and families[metric].type, "sample outside its family: " .. line)
      local parsed, body = {}, labels:sub(2, -2)
      local pos = 1
      while pos <= #body do
        local lname, after = body:match("^([%a_][%w_]*)=\"()", pos)
        assert(lname, "bad label at " .. pos .. ": " .. line)
        local buf, i = {}, after
        while true do
          local c = body:sub(i, i)
          assert(c ~= "" and c ~= "\n", "unterminated label value: " .. line)
          if c == "\\" then
            local e = body:sub(i + 1, i + 1)
            buf[#buf + 1] = assert(({ ["\\"] = "\\", ['"'] = '"', n = "\n" })[e], "bad escape: " .. line)
            i = i + 2
          elseif c == '"' then
            break
          else
            buf[#buf + 1] = c
            i = i + 1
          end
        end
        assert(parsed[lname] == nil, "repeated label: " .. line)
        parsed[lname] = table.concat(buf)
        pos = i + 1
        if body:sub(pos, pos) == "," then pos = pos + 1 end
      end
      assert(tonumber(value) or value:match("^[+-]?Inf$") or value == "NaN", "bad value: " .. line)
      local key = metric .. labels
      assert(not samples[key], "duplicate series: " .. line)
      samples[key] = { metric = metric, labels = parsed, value = tonumber(value) }
    end
  end
  return families, samples
end

local function series(samples, metric)
  local out = {}
  for _, s in pairs(samples) do
    if s.metric == metric then out[#out + 1] = s end
  end
  return out
end

describe("format prometheus", function()
  it("has every severity (zeros too), the status, duration and start time", function()
    local rep = report_of(MIXED)
    local fams, samples = parse_exposition(prometheus.render(rep))
    for _, name in ipairs { "diagkit_findings", "diagkit_status", "diagkit_run_duration_seconds",
      "diagkit_last_run_timestamp_seconds" } do
      assert.are.equal("gauge", fams[name] and fams[name].type, name)
    end
    local found = {}
    for _, s in ipairs(series(samples, "diagkit_findings")) do
      assert.are.equal("fmt-test", s.labels.playbook)
      found[s.labels.severity] = s.value
    end
    assert.are.same({ info = 1, warning = 1, error = 1, critical = 1 }, found)
    local _, empty = parse_exposition(prometheus.render(report_of({})))
    found = {}
    for _, s in ipairs(series(empty, "diagkit_findings")) do found[s.labels.severity] = s.value end
    assert.are.same({ info = 0, warning = 0, error = 0, critical = 0 }, found)
    assert.are.equal(2, series(samples, "diagkit_status")[1].value)
    local t = series(samples, "diagkit_last_run_timestamp_seconds")[1].value
    assert.truthy(math.abs(t - os.time()) <= 5, "timestamp " .. t .. " vs now " .. os.time())
    assert.are.equal(rep.duration_ms / 1000, series(samples, "diagkit_run_duration_seconds")[1].value)
  end)

  it("escapes label values as the exposition format says", function()
    local rep = run("go-memory", { log = recorded .. "/gctrace.txt" })
    rep.playbook.id = 'a"b\\c\nd'
    local _, samples = parse_exposition(prometheus.render(rep))
    assert.are.equal('a"b\\c\nd', series(samples, "diagkit_status")[1].labels.playbook)
    assert.are.equal(1, series(samples, "diagkit_status")[1].value)
  end)

  it("passes promtool check metrics", function()
    if os.execute("command -v promtool >/dev/null 2>&1") ~= true then
      return pending("promtool is not installed (Debian package prometheus)")
    end
    for _, rep in ipairs { report_of(MIXED), run("go-memory", { log = recorded .. "/gctrace.txt" }) } do
      local path = write(prometheus.render(rep))
      local p = assert(io.popen("promtool check metrics < " .. q(path) .. " 2>&1"))
      local out = p:read("a")
      local ok = p:close()
      os.remove(path)
      assert.is_true(ok, out)
      assert.are.equal("", out)
    end
  end)
end)

describe("format html", function()
  local TAGS = [[
import sys, json, html.parser, re, xml.dom.minidom
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.tags = {}; s.attrs = []
    def handle_starttag(s, t, a):
        s.tags[t] = s.tags.get(t, 0) + 1
        s.attrs += [(t, k, v) for k, v in a]
text = open(sys.argv[1], encoding="utf-8").read()
p = P(); p.feed(text)
svgs = re.findall(r"<svg.*?</svg>", text, re.S)
for s in svgs: xml.dom.minidom.parseString(s)
hrefs = [v for t, k, v in p.attrs if k == "href"]
handlers = [k for t, k, v in p.attrs if k.startswith("on")]
print(json.dumps({"tags": p.tags, "hrefs": hrefs, "handlers": handlers, "svgs": len(svgs)}))
]]
  local function parse(text)
    local ok, out = python(TAGS, text)
    assert(ok, out)
    return assert(json.decode(out))
  end

  it("escapes program text: no script, handlers or javascript: links get through", function()
    local text = html.render(report_of(MIXED))
    local x = parse(text)
    assert.is_nil(x.tags.script)
    assert.is_nil(x.tags.img)
    assert.are.same({}, x.handlers)
    assert.are.same({ "https://example.com/?a=1&b=2" }, x.hrefs)
    assert.is_nil(text:lower():find("<script", 1, true))
    assert.truthy(text:find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", 1, true)
      or text:find("&lt;script&gt;alert('x')&lt;/script&gt;", 1, true))
    assert.truthy(text:find("Content-Security-Policy", 1, true))
    assert.truthy(text:find("diagkit run exit-code", 1, true))
    assert.are.equal(4, select(2, text:gsub('<article class="finding ', "")))
    assert.is_truthy(utf8.len(text))
  end)

  it("draws goroutine stacks as bars, one per dump and stack", function()
    local rep = run("goroutine-leak", { dump = { recorded .. "/leak-1.txt", recorded .. "/leak-2.txt" } })
    local text = html.render(rep)
    local x = parse(text)
    assert.are.equal(1, x.svgs)
    local buckets = rep.facts.goroutine_buckets
    assert.truthy(#buckets >= 2)
    assert.are.same({ 20, 200 }, buckets[1].counts)
    assert.are.equal(#buckets * 2, select(2, text:gsub('class="bar"', "")))
    assert.truthy(text:find("main.fetch main.go:13", 1, true))
  end)

  it("draws the gctrace heap as lines with one point per GC", function()
    local rep = run("go-memory", { log = recorded .. "/gctrace.txt" })
    local text = html.render(rep)
    assert.are.equal(1, parse(text).svgs)
    assert.are.equal(2, select(2, text:gsub('class="series"', "")))
    local pts = text:match('<polyline class="series" points="([^"]*)"')
    assert.are.equal(rep.facts.gc.cycles, select(2, pts:gsub("%S+", "")))
    assert.are.equal(rep.facts.gc.cycles, #rep.facts.gc_series.live_mb)
  end)

  it("marks the denying component of a real path walk, and the ACE walk", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. q(dir .. "/locked/inner") .. " && chmod 700 " .. q(dir .. "/locked")))
    local rep = run("permissions", { path = dir .. "/locked/inner/f", want = "read", user = "nobody" })
    os.execute("rm -rf " .. q(dir))
    local text = html.render(rep)
    assert.are.equal(1, parse(text).svgs)
    assert.are.equal(1, select(2, text:gsub('<g class="node bad">', "")))
    assert.truthy(text:match('<g class="node bad"><title>[^<]*</title><rect[^>]*/><text[^>]*>locked</text>'))
    assert.are.equal(2, select(2, text:gsub('<g class="node skip">', ""))) -- inner, f: not reached
    rep = run("permissions", { sddl = "O:SYG:SYD:(D;;FA;;;BU)(A;;FA;;;BU)", want = "read", token = "user" })
    text = html.render(rep)
    assert.are.equal(1, parse(text).svgs)
    assert.truthy(text:find("ACE walk", 1, true))
    assert.truthy(select(2, text:gsub('<g class="node bad">', "")) >= 1)
  end)

  it("draws the dependency tree of a real binary", function()
    local rep = run("missing-dll", { program = "/bin/ls" })
    local text = html.render(rep)
    assert.are.equal(1, parse(text).svgs)
    assert.are.equal(#rep.facts.deps.modules, select(2, text:gsub('<g class="node ', "")))
    assert.are.equal(0, select(2, text:gsub('<g class="node bad">', "")))
  end)
end)
