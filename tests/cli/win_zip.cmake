# The Windows zip as a user gets it: `cpack -G ZIP` in the Windows build,
# unpacked into an empty folder, diagkit.exe run from there under Wine. It must
# find its scripts beside itself (bin/../share/diagkit/scripts) and run a playbook.
#   -DBUILD=<win64 build dir> -DEMULATOR=<wine wrapper> -DWORK=<scratch dir>
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/pkg ${WORK}/unpacked)
execute_process(COMMAND cpack -G ZIP --config ${BUILD}/CPackConfig.cmake -B ${WORK}/pkg
  WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cpack failed: ${out}${err}")
endif()
file(GLOB zips ${WORK}/pkg/*.zip)
list(LENGTH zips n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one zip, found: ${zips}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E tar xf ${zips} WORKING_DIRECTORY ${WORK}/unpacked RESULT_VARIABLE rc)
file(GLOB_RECURSE exe ${WORK}/unpacked/*/bin/diagkit.exe)
file(GLOB_RECURSE dll ${WORK}/unpacked/*/bin/libdiagkit.dll)
file(GLOB_RECURSE cli ${WORK}/unpacked/*/share/diagkit/scripts/diagkit/cli.lua)
file(GLOB_RECURSE header ${WORK}/unpacked/*/include/diagkit.h)
foreach(what exe dll cli header)
  if(NOT ${what})
    message(FATAL_ERROR "the zip lacks its ${what}")
  endif()
endforeach()
# Away from the build tree: no DIAGKIT_SCRIPTS, no build folder next to it.
execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=DIAGKIT_SCRIPTS ${EMULATOR} ${exe} explain 0xC0000135
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "STATUS_DLL_NOT_FOUND")
  message(FATAL_ERROR "unpacked diagkit.exe explain: exit ${rc}\n${out}${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=DIAGKIT_SCRIPTS ${EMULATOR} ${exe} list
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "missing-dll")
  message(FATAL_ERROR "unpacked diagkit.exe list: exit ${rc}\n${out}${err}")
endif()
message(STATUS "zip ok: ${zips}")
