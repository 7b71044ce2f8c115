# dk_module(<name> SOURCES ... [POSIX ...] [WIN32 ...] [LIBS ...] [POSIX_LIBS ...] [WIN32_LIBS ...])
#
# Declares the native Lua module diagkit.<name>. Its binding must define
# luaopen_diagkit_<name>. SOURCES are portable; POSIX / WIN32 are the OS back-ends
# (the *_posix.c / *_win32.c halves of one interface). Every module sees the
# support headers (modules/support: errors, files, text, Lua helpers). The objects are compiled once
# (as position-independent code) and linked both into libdiagkit (the host, the CLI)
# and into diagkit/core.so (the module a stock lua5.4 loads), so both run the same code.
function(dk_module name)
  cmake_parse_arguments(M "" "" "SOURCES;POSIX;WIN32;LIBS;POSIX_LIBS;WIN32_LIBS" ${ARGN})
  set(srcs ${M_SOURCES})
  set(libs ${M_LIBS})
  if(WIN32)
    list(APPEND srcs ${M_WIN32})
    list(APPEND libs ${M_WIN32_LIBS})
  else()
    list(APPEND srcs ${M_POSIX})
    list(APPEND libs ${M_POSIX_LIBS})
  endif()
  add_library(dkmod_${name} OBJECT ${srcs})
  target_include_directories(dkmod_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(dkmod_${name} PUBLIC dk_lua_headers dk_support ${libs})
  dk_warnings(dkmod_${name})
  set_property(GLOBAL APPEND PROPERTY DK_MODULES ${name})
endfunction()
