-- diagkit.service: the text formats of sc.exe, systemctl and journalctl.
local service = require "diagkit.service"

describe("diagkit.service", function()
  it("parses sc qc and sc queryex, continuation lines included", function()
    local sc = service.parse_sc(table.concat({
      "SERVICE_NAME: MyGoSvc",
      "        START_TYPE         : 2   AUTO_START  (DELAYED)",
      "        DEPENDENCIES       : Tcpip",
      "                           : Afd",
      "        WIN32_EXIT_CODE    : 1066  (0x42a)",
    }, "\r\n"))
    assert.are.equal("MyGoSvc", sc.service)
    assert.are.same({ "Tcpip", "Afd" }, sc.lists.DEPENDENCIES)
    assert.are.equal(2, (service.sc_number(sc.fields.START_TYPE)))
    assert.are.equal(1066, (service.sc_number(sc.fields.WIN32_EXIT_CODE)))
    local bad = service.parse_sc("[SC] OpenService FAILED 1060:\n\nThe specified service does not exist.\n")
    assert.are.equal(1060, bad.error)
  end)

  it("parses systemctl show, values with '=' kept whole", function()
    local p = service.parse_systemctl_show("Result=exit-code\nExecMainStatus=203\nEnvironment=A=1 B=2\n")
    assert.are.equal("exit-code", p.Result)
    assert.are.equal("A=1 B=2", p.Environment)
    assert.are.equal("/usr/bin/x", service.exec_path("{ path=/usr/bin/x ; argv[]=/usr/bin/x -v ; }"))
  end)

  it("parses journal JSON: byte arrays, nulls, and lines that are not JSON", function()
    local entries, bad, first = service.parse_journal(table.concat({
      '{"MESSAGE":[104,105,255],"PRIORITY":"3","_HOSTNAME":null}',
      "garbage",
      '{"MESSAGE":"plain","__REALTIME_TIMESTAMP":"1"}',
    }, "\n"))
    assert.are.equal(2, #entries)
    assert.are.equal("hi\255", entries[1].MESSAGE)
    assert.is_nil(entries[1]._HOSTNAME)
    assert.are.equal("plain", entries[2].MESSAGE)
    assert.are.equal(1, bad)
    assert.are.equal(2, first)
  end)

  it("lists the files an unquoted ImagePath makes Windows try", function()
    assert.are.same({ "C:\\Program.exe", "C:\\Program Files\\My.exe", "C:\\Program Files\\My App\\a.exe" },
      service.unquoted_candidates("C:\\Program Files\\My App\\a.exe -k"))
    assert.is_nil(service.unquoted_candidates('"C:\\Program Files\\a.exe"'))
    assert.is_nil(service.unquoted_candidates("C:\\Windows\\svc.exe -k netsvcs"))
  end)

  it("knows systemd's own exit codes", function()
    assert.are.equal("EXEC", service.SYSTEMD_EXIT[203][1])
    assert.are.equal("NAMESPACE", service.SYSTEMD_EXIT[226][1])
    assert.are.equal("USER", service.SYSTEMD_EXIT[217][1])
  end)
end)
