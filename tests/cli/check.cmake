# Runs one CLI command and checks its exit status and output.
#   -DCMD=<;-list: emulator (if any), program, args> -DEXPECT_EXIT=<n> -DEXPECT=<regex> [-DREJECT=<regex>]
#   [-DWORKDIR=<folder to run in>]
# Used for the smoke tests that must pass for diagkit and for diagkit.exe under Wine.
if(NOT DEFINED WORKDIR)
  set(WORKDIR ${CMAKE_CURRENT_BINARY_DIR})
endif()
execute_process(COMMAND ${CMD} WORKING_DIRECTORY ${WORKDIR} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
if(NOT "${rc}" STREQUAL "${EXPECT_EXIT}")
  message(FATAL_ERROR "exit status ${rc}, expected ${EXPECT_EXIT}\n--- output:\n${all}")
endif()
if(DEFINED EXPECT AND NOT all MATCHES "${EXPECT}")
  message(FATAL_ERROR "output does not match /${EXPECT}/\n--- output:\n${all}")
endif()
if(DEFINED REJECT AND all MATCHES "${REJECT}")
  message(FATAL_ERROR "output matches the rejected /${REJECT}/\n--- output:\n${all}")
endif()
