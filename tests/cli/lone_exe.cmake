# diagkit.exe copied alone into an empty folder, as an administrator copies
# one file to a server: the scripts built into it (cmake/EmbedScripts.cmake)
# must serve every command, and every bundled playbook must load.
#   -DEXE=<diagkit.exe> -DSRC=<source dir> -DEMULATOR=<wine wrapper> -DWORK=<scratch dir> -DSEGV=<segv.exe>
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(COPY ${EXE} DESTINATION ${WORK})
get_filename_component(name ${EXE} NAME)
set(exe ${WORK}/${name})
function(lone expect_rc pattern)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=DIAGKIT_SCRIPTS ${EMULATOR} ${exe} ${ARGN}
    WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expect_rc OR NOT "${out}${err}" MATCHES "${pattern}")
    message(FATAL_ERROR "lone ${name} ${ARGN}: exit ${rc} (expected ${expect_rc}, and output matching '${pattern}')\n${out}${err}")
  endif()
endfunction()
file(GLOB books RELATIVE ${SRC}/scripts/playbooks ${SRC}/scripts/playbooks/*.lua)
lone(0 "missing-dll" list)
foreach(book IN LISTS books)
  string(REGEX REPLACE "\\.lua$" "" id ${book})
  lone(0 "${id}" info ${id})                     # the playbook loads from inside the exe
endforeach()
lone(0 "deps" --help)                            # module commands are found inside too
lone(0 "STATUS_DLL_NOT_FOUND" explain 0xC0000135)
if(SEGV)
  lone(2 "0xC0000005" run exit-code -- ${SEGV})
endif()
message(STATUS "${name} alone in ${WORK}: every command and playbook ok")
