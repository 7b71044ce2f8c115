# Warnings for the project's own code only (third-party sources built for Windows
# are compiled by cmake/win64-deps.sh, not here).
set(DK_WARNINGS -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wformat=2 -Wvla -Wno-unused-parameter)
if(DK_WERROR)
  list(APPEND DK_WARNINGS -Werror)
endif()

# Apply to a target made from the project's sources.
function(dk_warnings target)
  target_compile_options(${target} PRIVATE ${DK_WARNINGS})
endfunction()
