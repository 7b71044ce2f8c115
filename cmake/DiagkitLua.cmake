# Where Lua 5.4 (and PCRE2, zlib) come from.
#
# Linux: Debian's liblua5.4-dev / libpcre2-dev through pkg-config.
# Windows (mingw cross-build): static libraries built from Debian source packages by
# tools/win64-deps.sh into DK_WIN64_DEPS (include/ and lib/), passed by the Makefile.
if(WIN32)
  set(DK_WIN64_DEPS "" CACHE PATH "Prefix holding the mingw builds of Lua, PCRE2 and LuaFileSystem")
  if(NOT EXISTS "${DK_WIN64_DEPS}/lib/liblua54.a")
    message(FATAL_ERROR "Lua for mingw not found under DK_WIN64_DEPS='${DK_WIN64_DEPS}'; run tools/win64-deps.sh (make win64 does)")
  endif()
  add_library(dk_lua STATIC IMPORTED)
  set_target_properties(dk_lua PROPERTIES
    IMPORTED_LOCATION "${DK_WIN64_DEPS}/lib/liblua54.a"
    INTERFACE_INCLUDE_DIRECTORIES "${DK_WIN64_DEPS}/include")
  add_library(dk_lua_headers INTERFACE)
  target_include_directories(dk_lua_headers INTERFACE "${DK_WIN64_DEPS}/include")
  if(EXISTS "${DK_WIN64_DEPS}/lib/libpcre2-8.a")
    add_library(dk_pcre2 STATIC IMPORTED)
    set_target_properties(dk_pcre2 PROPERTIES
      IMPORTED_LOCATION "${DK_WIN64_DEPS}/lib/libpcre2-8.a"
      INTERFACE_INCLUDE_DIRECTORIES "${DK_WIN64_DEPS}/include"
      INTERFACE_COMPILE_DEFINITIONS "PCRE2_STATIC")
  endif()
  if(EXISTS "${DK_WIN64_DEPS}/lib/libz.a")
    add_library(dk_zlib STATIC IMPORTED)
    set_target_properties(dk_zlib PROPERTIES
      IMPORTED_LOCATION "${DK_WIN64_DEPS}/lib/libz.a"
      INTERFACE_INCLUDE_DIRECTORIES "${DK_WIN64_DEPS}/include")
  endif()
  if(EXISTS "${DK_WIN64_DEPS}/lib/liblfs.a")
    add_library(dk_lfs STATIC IMPORTED)
    set_target_properties(dk_lfs PROPERTIES IMPORTED_LOCATION "${DK_WIN64_DEPS}/lib/liblfs.a")
  endif()
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(LUA REQUIRED IMPORTED_TARGET lua5.4)
  add_library(dk_lua INTERFACE)
  target_link_libraries(dk_lua INTERFACE PkgConfig::LUA)
  # Headers only: for diagkit/core.so, which must take Lua's symbols from the
  # interpreter that loads it rather than bring a second copy of Lua.
  add_library(dk_lua_headers INTERFACE)
  target_include_directories(dk_lua_headers INTERFACE ${LUA_INCLUDE_DIRS})
  pkg_check_modules(PCRE2 IMPORTED_TARGET libpcre2-8)
  if(PCRE2_FOUND)
    add_library(dk_pcre2 INTERFACE)
    target_link_libraries(dk_pcre2 INTERFACE PkgConfig::PCRE2)
  endif()
  # zlib: diagkit.log reads .gz logs (rotated logs are usually gzipped).
  pkg_check_modules(ZLIB IMPORTED_TARGET zlib)
  if(ZLIB_FOUND)
    add_library(dk_zlib INTERFACE)
    target_link_libraries(dk_zlib INTERFACE PkgConfig::ZLIB)
  endif()
endif()
