# CMake toolchain for the Windows x86_64 cross-build (Debian's mingw-w64 package).
#   cmake -S . -B build-win64 -DCMAKE_TOOLCHAIN_FILE=$PWD/cmake/mingw-w64-x86_64.cmake \
#         -DDK_WIN64_DEPS=$PWD/build-win64/deps
# See docs/windows.md. tools/win64-deps.sh also uses this file to build cmocka.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_dk_triple x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_dk_triple}-gcc)
set(CMAKE_CXX_COMPILER ${_dk_triple}-g++)
set(CMAKE_RC_COMPILER ${_dk_triple}-windres)

# Headers and libraries come from the mingw sysroot and from the prefix that
# tools/win64-deps.sh fills (Lua, PCRE2, LuaFileSystem, cmocka), never from the
# Linux host. The prefix must be a root path too: with mode ONLY, an absolute
# HINTS path outside every root would be re-rooted under the sysroot and missed.
set(CMAKE_FIND_ROOT_PATH /usr/${_dk_triple})
if(DK_WIN64_DEPS)
  list(APPEND CMAKE_FIND_ROOT_PATH "${DK_WIN64_DEPS}")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# C99 printf/scanf (%zu, %lld, %hhu...) from mingw-w64 instead of msvcrt's, which
# lacks them; GCC then also checks format strings against the C99 rules.
set(CMAKE_C_FLAGS_INIT "-D__USE_MINGW_ANSI_STDIO=1")

# Static C runtime pieces: the .exe files then run under Wine (and on a bare
# Windows) without libgcc_s_seh-1.dll / libwinpthread-1.dll next to them.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static-libgcc")

# ctest (and add_custom_command with a target as COMMAND) run test programs
# through Wine, in the project's own prefix.
get_filename_component(_dk_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(CMAKE_CROSSCOMPILING_EMULATOR "${_dk_root}/tools/wine-run.sh")
