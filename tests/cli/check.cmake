# Runs one CLI command and checks its exit status and output.
#   -DCMD=<;-list: emulator (if any), program, args> -DEXPECT_EXIT=<n> -DEXPECT=<regex> [-DREJECT=<regex>]
# Used for the smoke tests that must pass for diagkit and for diagkit.exe under Wine.
execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
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
