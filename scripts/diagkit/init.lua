-- require "diagkit": the toolkit as a library, for a stock lua5.4 as much as
-- inside the diagkit host. In a stock interpreter the native modules come
-- from diagkit/core.so (on package.cpath); the host has preloaded them.
--
--   local dk = require "diagkit"
--   local codes = require "diagkit.codes"      -- or dk.codes
--   print(codes.lookup("0xC0000005")[1].name)

if not package.preload["diagkit.sys"] then
  require "diagkit.core" -- registers the native modules in package.preload
end

local playbook = require "diagkit.playbook"

-- Playbooks that are not bundled load in the sandbox unless trusted. The
-- sandbox depends on the playbook model, not the other way round, so the
-- default (the default policy) is given to the playbook module here; the CLI
-- and the embedding API pass their own (diagkit.sandbox.loader(policy)).
function playbook.default_sandbox(path)
  return require("diagkit.sandbox").loader()(path)
end

local dk = {}

dk.API = playbook.API

--- The constructor playbook files return: diagkit.playbook{...}.
dk.playbook = playbook.new

--- Facts about this machine: {os=, arch=, os_version=, hostname=, wine=}.
function dk.platform()
  return require("diagkit.sys").platform()
end

--- Calls f(...); when it returns nil, message, code (an expected failure),
--- raises a structured error {code=, message=} instead. Otherwise returns
--- what f returned.
function dk.try(f, ...)
  local r = table.pack(f(...))
  if r[1] == nil and r.n >= 2 then
    error(setmetatable({ code = r[3], message = r[2] }, {
      __tostring = function(e) return tostring(e.message) .. " (" .. tostring(e.code) .. ")" end,
    }), 2)
  end
  return table.unpack(r, 1, r.n)
end

-- dk.codes, dk.proc, ...: the native modules, loaded on first use.
return setmetatable(dk, {
  __index = function(t, k)
    local ok, mod = pcall(require, "diagkit." .. k)
    if ok then rawset(t, k, mod); return mod end
  end,
})
