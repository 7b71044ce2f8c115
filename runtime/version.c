/* The library version, kept apart so diagkit/core.so can report it too. */
#include "diagkit.h"

/* CMakeLists.txt's project(VERSION) and the header must agree. */
#if defined(DK_PROJECT_VERSION_NUMBER) && DK_PROJECT_VERSION_NUMBER != DIAGKIT_VERSION_NUMBER
#error "include/diagkit.h and CMakeLists.txt disagree about the version"
#endif

const char *dk_version(void) { return DIAGKIT_VERSION; }

int dk_version_number(void) { return DIAGKIT_VERSION_NUMBER; }
