/* The library version, kept apart so diagkit/core.so can report it too. */
#include "diagkit.h"

const char *dk_version(void) { return DIAGKIT_VERSION; }
