/*
** Budgets for untrusted Lua code (see budget.h). Why a hook and an allocator
** rather than a timer: both are exact and deterministic (the same check stops
** at the same place on every machine), and neither needs a second thread.
** What the hook cannot see is a single C call that runs long; the one a
** check can make run away (a backtracking pattern match) charges its steps
** through dk_limits_charge (pattern.c).
*/
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include "budget.h"

#include "lauxlib.h"

#include <stdatomic.h>
#include <stdlib.h>
#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <time.h>
#endif

static long long now_ms(void) {
#ifdef _WIN32
  return (long long)GetTickCount64();
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#endif
}

struct dk_limits {
  lua_Alloc orig_alloc;
  void *orig_ud;
  lua_Hook orig_hook; /* the hook L had before attach (a debugger, luacov) */
  int orig_mask, orig_count;
  size_t used;        /* bytes the state holds, as seen through this allocator */
  size_t cap;         /* absolute: refuse growth beyond this while armed */
  int cap_on, mem_tripped;
  long long budget, spent; /* instructions, while armed */
  int budget_on, ins_tripped;
  long long deadline;  /* now_ms() value, 0 = none */
  int time_tripped;
  int armed;
  int temporary; /* attached by limits.call for one call only */
  lua_State *main; /* the thread dk_limits_cancel interrupts */
  atomic_int cancel;
};

static const char registry_key = 'L'; /* its address is the key */

dk_limits *dk_limits_of(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &registry_key);
  dk_limits *lim = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return lim;
}

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  dk_limits *lim = ud;
  size_t old = ptr != NULL ? osize : 0; /* for a new block osize is a type tag */
  if (nsize == 0) {
    lim->used = lim->used >= old ? lim->used - old : 0;
    return lim->orig_alloc(lim->orig_ud, ptr, osize, 0);
  }
  size_t after = (lim->used >= old ? lim->used - old : 0) + nsize;
  if (lim->cap_on && nsize > old && after > lim->cap) {
    lim->mem_tripped = 1;
    return NULL; /* Lua collects garbage and retries once, then raises */
  }
  void *p = lim->orig_alloc(lim->orig_ud, ptr, osize, nsize);
  if (p != NULL) lim->used = after;
  return p;
}

static void count_hook(lua_State *L, lua_Debug *ar) {
  dk_limits *lim = dk_limits_of(L);
  if (lim == NULL) return;
  if (atomic_load(&lim->cancel)) luaL_error(L, "cancelled"); /* every event until unwound */
  if (ar->event != LUA_HOOKCOUNT) {
    if (lim->orig_hook != NULL) lim->orig_hook(L, ar);
    return;
  }
  if (dk_limits_charge(L, lim, DK_LIMITS_PERIOD))
    luaL_error(L, lim->time_tripped ? "time limit exceeded" : "instruction budget exceeded");
  if (lim->orig_hook != NULL && (lim->orig_mask & LUA_MASKCOUNT)) lim->orig_hook(L, ar);
}

dk_limits *dk_limits_attach(lua_State *L) {
  if (dk_limits_of(L) != NULL) return NULL;
  dk_limits *lim = calloc(1, sizeof *lim);
  if (lim == NULL) return NULL;
  atomic_init(&lim->cancel, 0);
  lim->orig_alloc = lua_getallocf(L, &lim->orig_ud);
  lim->orig_hook = lua_gethook(L);
  lim->orig_mask = lua_gethookmask(L);
  lim->orig_count = lua_gethookcount(L);
  lim->used = (size_t)lua_gc(L, LUA_GCCOUNT, 0) * 1024u + (size_t)lua_gc(L, LUA_GCCOUNTB, 0);
  lua_pushlightuserdata(L, lim);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &registry_key);
  lua_setallocf(L, limited_alloc, lim);
  lim->main = L;
  /* No hook yet: with any count hook set, Lua 5.4 traps every instruction
  ** (about 2x slower), so hooks are on only while armed or cancelling. */
  return lim;
}

void dk_limits_free(dk_limits *lim) { free(lim); }

int dk_limits_charge(lua_State *L, dk_limits *lim, long long n) {
  if (atomic_load(&lim->cancel)) return 1;
  if (lim->deadline && !lim->time_tripped && now_ms() > lim->deadline) lim->time_tripped = 1;
  if (lim->budget_on) lim->spent += n;
  if (!lim->ins_tripped && !lim->time_tripped && (!lim->budget_on || lim->spent <= lim->budget)) return 0;
  if (!lim->time_tripped) lim->ins_tripped = 1;
  /* From now on every instruction fails, so a pcall in a loop cannot
  ** swallow the error and go on. */
  lua_sethook(L, count_hook, lim->orig_mask | LUA_MASKCOUNT, 1);
  return 1;
}

void dk_limits_detach(lua_State *L, dk_limits *lim) {
  if (lim == NULL) return;
  lua_pushnil(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &registry_key);
  lua_setallocf(L, lim->orig_alloc, lim->orig_ud);
  lua_sethook(L, lim->orig_hook, lim->orig_mask, lim->orig_count);
  free(lim);
}

/* As lua.c does from its SIGINT handler: lua_sethook is the one API call
** meant to be made asynchronously. Code running in a coroutine notices when
** it yields back to the main thread, or at once when armed (its hook was
** inherited). */
void dk_limits_cancel(dk_limits *lim) {
  atomic_store(&lim->cancel, 1);
  lua_sethook(lim->main, count_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

void dk_limits_clear_cancel(dk_limits *lim) {
  atomic_store(&lim->cancel, 0);
  lua_sethook(lim->main, lim->orig_hook, lim->orig_mask, lim->orig_count);
}
int dk_limits_cancelled(dk_limits *lim) { return atomic_load(&lim->cancel) != 0; }
/* Only limits that live as long as their state (a host's) hand out the flag:
** a proc.spawn handle may outlive a limits.call that attached its own. */
const atomic_int *dk_limits_cancel_flag(dk_limits *lim) { return lim->temporary ? NULL : &lim->cancel; }
void dk_limits_set_temporary(dk_limits *lim) { lim->temporary = 1; }
size_t dk_limits_used(const dk_limits *lim) { return lim->used; }
int dk_limits_armed(const dk_limits *lim) { return lim->armed; }

void dk_limits_arm(lua_State *L, dk_limits *lim, size_t cap_bytes, long long instructions) {
  lim->armed = 1;
  lim->mem_tripped = lim->ins_tripped = 0;
  lim->cap_on = cap_bytes > 0;
  lim->cap = lim->used + cap_bytes;
  lim->budget_on = instructions > 0;
  lim->budget = instructions;
  lim->spent = 0;
  lim->deadline = 0;
  lim->time_tripped = 0;
  /* A hook L already had (a debugger, a coverage tool) keeps getting its own
  ** events from ours; a count hook of its own then ticks at our period. */
  lua_sethook(L, count_hook, lim->orig_mask | LUA_MASKCOUNT, DK_LIMITS_PERIOD);
}

void dk_limits_set_deadline(dk_limits *lim, long long ms) { lim->deadline = ms > 0 ? now_ms() + ms : 0; }

int dk_limits_tripped(const dk_limits *lim) {
  return lim->ins_tripped || lim->time_tripped || lim->mem_tripped || atomic_load(&lim->cancel);
}

int dk_limits_disarm(lua_State *L, dk_limits *lim) {
  int tripped = (lim->mem_tripped ? DK_LIMIT_MEMORY : 0) | (lim->ins_tripped ? DK_LIMIT_INSTRUCTIONS : 0) |
                (lim->time_tripped ? DK_LIMIT_TIME : 0) | (dk_limits_cancelled(lim) ? DK_LIMIT_CANCELLED : 0);
  lim->cap_on = lim->budget_on = lim->armed = 0;
  lim->mem_tripped = lim->ins_tripped = lim->time_tripped = 0;
  lim->deadline = 0;
  if (!dk_limits_cancelled(lim)) lua_sethook(L, lim->orig_hook, lim->orig_mask, lim->orig_count);
  return tripped;
}
