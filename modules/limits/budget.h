/*
** Budgets for Lua code the toolkit did not write: an instruction budget
** (counted by a count hook), a memory cap (a lua_Alloc that wraps the state's
** own and refuses growth past the cap), and a cancel flag that any thread may
** raise. One dk_limits per lua_State, kept in its registry.
**
** The host attaches one for the state's lifetime (dk_limits_attach) so that
** dk_cancel works; diagkit.limits.call attaches one for the length of a call
** when it finds none (a stock lua5.4 loading diagkit/core.so).
*/
#ifndef DK_BUDGET_H
#define DK_BUDGET_H

#include "lua.h"

#include <stdatomic.h>
#include <stddef.h>

typedef struct dk_limits dk_limits;

/* Hook period in VM instructions: small enough that a budget or a cancel is
** noticed within microseconds, large enough to cost well under 1%. */
#define DK_LIMITS_PERIOD 1000

/* [-0, +0, m] Attaches limits to L (its allocator is wrapped and a count hook
** installed on L). Returns NULL when out of memory or already attached. */
dk_limits *dk_limits_attach(lua_State *L);

/* Restores L's own allocator and hook, and frees the limits. */
void dk_limits_detach(lua_State *L, dk_limits *lim);

/* Frees limits still attached when their state was closed with lua_close
** (the state's last frees go through the limits' allocator). */
void dk_limits_free(dk_limits *lim);

/* The limits attached to L, or NULL. */
dk_limits *dk_limits_of(lua_State *L);

/* Thread-safe: asks the code running in the state to stop with "cancelled"
** at its next hook tick. dk_limits_clear_cancel resets it for the next run. */
void dk_limits_cancel(dk_limits *lim);
void dk_limits_clear_cancel(dk_limits *lim);
int dk_limits_cancelled(dk_limits *lim);
/* The flag itself, for native code that waits (diagkit.proc polls it). */
const atomic_int *dk_limits_cancel_flag(dk_limits *lim); /* NULL for temporary limits */
/* Marks limits attached for one call only (they hand out no cancel flag). */
void dk_limits_set_temporary(dk_limits *lim);

/* Bytes the state holds now, as the allocator counts them. */
size_t dk_limits_used(const dk_limits *lim);

/* Arms the budgets for one call: memory growth above the current use of at
** most cap_bytes (0 = none), and at most instructions VM instructions
** (0 = none). dk_limits_disarm turns them off and says which one tripped. */
void dk_limits_arm(lua_State *L, dk_limits *lim, size_t cap_bytes, long long instructions);
/* A wall-clock deadline beside the budget, for work an instruction count does
** not see (many short C calls, each cheap in instructions but not in time):
** at most ms milliseconds from now (0 = none). Call after dk_limits_arm;
** checked at every hook tick and every dk_limits_charge. */
void dk_limits_set_deadline(dk_limits *lim, long long ms);
/* 1 once an armed limit has tripped or a cancel is pending: from then on no
** code of the check should run (the sandbox's xpcall and coroutine wrappers
** ask this before calling a message handler or closing a coroutine, since
** Lua runs those with hooks off when the error came from a hook). */
int dk_limits_tripped(const dk_limits *lim);

/* Charges n instructions' worth of work done in C (pattern matching) to an
** armed budget. Returns 1 when the budget is spent or a cancel is pending:
** the caller then raises an error (and every later instruction fails too). */
int dk_limits_charge(lua_State *L, dk_limits *lim, long long n);

/* 1 between dk_limits_arm and dk_limits_disarm. */
int dk_limits_armed(const dk_limits *lim);

enum { DK_LIMIT_NONE = 0, DK_LIMIT_MEMORY = 1, DK_LIMIT_INSTRUCTIONS = 2, DK_LIMIT_CANCELLED = 4, DK_LIMIT_TIME = 8 };
int dk_limits_disarm(lua_State *L, dk_limits *lim);

#endif
