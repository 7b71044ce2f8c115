/*
** Lua's four pattern functions (find, match, gmatch, gsub) with their
** matching steps charged to the running check's instruction budget
** (pattern.c). Registered into the diagkit.limits table.
*/
#ifndef DK_PATTERN_H
#define DK_PATTERN_H

#include "lua.h"

/* [-0, +0, -] Sets find, match, gmatch and gsub in the table on top of L. */
void dk_pattern_register(lua_State *L);

#endif
