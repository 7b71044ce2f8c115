/*
** Lua patterns with a step budget, for sandboxed checks.
**
** string.find/match/gmatch/gsub run their matcher in C: a pattern such as
** ".-.-.-.-x" over a long subject backtracks for minutes without executing
** a single Lua instruction, so the sandbox's instruction hook never fires.
** These functions implement the same pattern language (Lua 5.4 manual,
** section 6.4.1) and the same four functions with the same results and
** errors, but count their matching steps and charge them to the running
** check's instruction budget (one step ~ one VM instruction). A runaway
** pattern then stops like a runaway loop.
**
** The matcher is the classic backtracking one the manual's semantics call
** for: single-character classes with *, +, - and ? repetition, captures
** (with position captures), %b, %f and back-references.
*/
#include "budget.h"
#include "pattern.h"

#include "lauxlib.h"
#include "lua.h"

#include <ctype.h>
#include <string.h>

#define PM_MAXCAPTURES 32 /* LUA_MAXCAPTURES */
#define PM_MAXDEPTH 200   /* nesting of match calls, as MAXCCALLS */
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define ESC '%'
#define SPECIALS "^$*+?.([%-"

typedef struct pm_state {
  const char *src_init, *src_end, *p_end;
  lua_State *L;
  dk_limits *lim; /* the running check's limits; NULL: no budget */
  unsigned steps; /* since the last charge */
  int depth;      /* match calls left */
  int level;      /* captures open or closed */
  struct {
    const char *init;
    ptrdiff_t len;
  } capture[PM_MAXCAPTURES];
} pm_state;

static const char *do_match(pm_state *ms, const char *s, const char *p);

/* Every 1024 steps, charge them to the budget. */
static void tick(pm_state *ms) {
  if (++ms->steps < 1024) return;
  ms->steps = 0;
  if (ms->lim != NULL && dk_limits_charge(ms->L, ms->lim, 1024))
    luaL_error(ms->L, "instruction budget exceeded (in a pattern match)");
}

static int check_capture(pm_state *ms, int l) {
  l -= '1';
  if (l < 0 || l >= ms->level || ms->capture[l].len == CAP_UNFINISHED)
    return luaL_error(ms->L, "invalid capture index %%%d", l + 1);
  return l;
}

static int capture_to_close(pm_state *ms) {
  int level = ms->level;
  for (level--; level >= 0; level--)
    if (ms->capture[level].len == CAP_UNFINISHED) return level;
  return luaL_error(ms->L, "invalid pattern capture");
}

/* The end of the single-character class that starts at p. */
static const char *class_end(pm_state *ms, const char *p) {
  char c = *p++;
  if (c == ESC) {
    if (p == ms->p_end) luaL_error(ms->L, "malformed pattern (ends with '%%')");
    return p + 1;
  }
  if (c == '[') {
    if (*p == '^') p++;
    do { /* the first character after [ or [^ is literal, even ']' */
      if (p == ms->p_end) luaL_error(ms->L, "malformed pattern (missing ']')");
      c = *p++;
      if (c == ESC && p < ms->p_end) p++; /* %] and the like */
    } while (*p != ']');
    return p + 1;
  }
  return p;
}

static int match_class(int c, int cl) {
  int res;
  switch (tolower(cl)) {
  case 'a': res = isalpha(c); break;
  case 'c': res = iscntrl(c); break;
  case 'd': res = isdigit(c); break;
  case 'g': res = isgraph(c); break;
  case 'l': res = islower(c); break;
  case 'p': res = ispunct(c); break;
  case 's': res = isspace(c); break;
  case 'u': res = isupper(c); break;
  case 'w': res = isalnum(c); break;
  case 'x': res = isxdigit(c); break;
  default: return cl == c;
  }
  if (isupper(cl)) res = !res; /* %A is the complement of %a */
  return res != 0;
}

/* p at '[', ec at the closing ']'. */
static int match_bracket(int c, const char *p, const char *ec) {
  int want = 1;
  if (*(p + 1) == '^') {
    want = 0;
    p++;
  }
  while (++p < ec) {
    if (*p == ESC) {
      p++;
      if (match_class(c, (unsigned char)*p)) return want;
    } else if (*(p + 1) == '-' && p + 2 < ec) {
      p += 2;
      if ((unsigned char)*(p - 2) <= c && c <= (unsigned char)*p) return want;
    } else if ((unsigned char)*p == c) {
      return want;
    }
  }
  return !want;
}

static int single_match(pm_state *ms, const char *s, const char *p, const char *ep) {
  if (s >= ms->src_end) return 0;
  int c = (unsigned char)*s;
  switch (*p) {
  case '.': return 1;
  case ESC: return match_class(c, (unsigned char)*(p + 1));
  case '[': return match_bracket(c, p, ep - 1);
  default: return (unsigned char)*p == c;
  }
}

static const char *match_balance(pm_state *ms, const char *s, const char *p) {
  if (p >= ms->p_end - 1) luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
  if (s >= ms->src_end || *s != *p) return NULL;
  int open = *p, close = *(p + 1), depth = 1;
  while (++s < ms->src_end) {
    tick(ms);
    if (*s == close) {
      if (--depth == 0) return s + 1;
    } else if (*s == open) {
      depth++;
    }
  }
  return NULL;
}

static const char *max_expand(pm_state *ms, const char *s, const char *p, const char *ep) {
  ptrdiff_t i = 0;
  while (single_match(ms, s + i, p, ep)) {
    tick(ms);
    i++;
  }
  for (; i >= 0; i--) { /* the longest first, then shorter */
    tick(ms);
    const char *res = do_match(ms, s + i, ep + 1);
    if (res != NULL) return res;
  }
  return NULL;
}

static const char *min_expand(pm_state *ms, const char *s, const char *p, const char *ep) {
  for (;;) {
    tick(ms);
    const char *res = do_match(ms, s, ep + 1);
    if (res != NULL) return res;
    if (!single_match(ms, s, p, ep)) return NULL;
    s++;
  }
}

static const char *start_capture(pm_state *ms, const char *s, const char *p, ptrdiff_t what) {
  if (ms->level >= PM_MAXCAPTURES) luaL_error(ms->L, "too many captures");
  ms->capture[ms->level].init = s;
  ms->capture[ms->level].len = what;
  ms->level++;
  const char *res = do_match(ms, s, p);
  if (res == NULL) ms->level--;
  return res;
}

static const char *end_capture(pm_state *ms, const char *s, const char *p) {
  int l = capture_to_close(ms);
  ms->capture[l].len = s - ms->capture[l].init;
  const char *res = do_match(ms, s, p);
  if (res == NULL) ms->capture[l].len = CAP_UNFINISHED;
  return res;
}

static const char *match_capture(pm_state *ms, const char *s, int l) {
  l = check_capture(ms, l);
  size_t len = (size_t)ms->capture[l].len;
  if ((size_t)(ms->src_end - s) >= len && memcmp(ms->capture[l].init, s, len) == 0) return s + len;
  return NULL;
}

static const char *do_match(pm_state *ms, const char *s, const char *p) {
  if (ms->depth-- == 0) luaL_error(ms->L, "pattern too complex");
  for (;;) {
    tick(ms);
    if (p == ms->p_end) break;
    if (*p == '(') {
      s = *(p + 1) == ')' ? start_capture(ms, s, p + 2, CAP_POSITION) : start_capture(ms, s, p + 1, CAP_UNFINISHED);
      break;
    }
    if (*p == ')') {
      s = end_capture(ms, s, p + 1);
      break;
    }
    if (*p == '$' && p + 1 == ms->p_end) {
      s = s == ms->src_end ? s : NULL;
      break;
    }
    if (*p == ESC && *(p + 1) == 'b') {
      s = match_balance(ms, s, p + 2);
      if (s == NULL) break;
      p += 4;
      continue;
    }
    if (*p == ESC && *(p + 1) == 'f') {
      p += 2;
      if (*p != '[') luaL_error(ms->L, "missing '[' after '%%f' in pattern");
      const char *ep = class_end(ms, p);
      int prev = s == ms->src_init ? '\0' : (unsigned char)*(s - 1);
      int cur = s < ms->src_end ? (unsigned char)*s : '\0';
      if (!match_bracket(prev, p, ep - 1) && match_bracket(cur, p, ep - 1)) {
        p = ep;
        continue;
      }
      s = NULL;
      break;
    }
    if (*p == ESC && isdigit((unsigned char)*(p + 1))) {
      s = match_capture(ms, s, (unsigned char)*(p + 1));
      if (s == NULL) break;
      p += 2;
      continue;
    }
    /* A single-character class, maybe with a repetition suffix. */
    const char *ep = class_end(ms, p);
    if (!single_match(ms, s, p, ep)) {
      if (*ep == '*' || *ep == '?' || *ep == '-') { /* zero repetitions are fine */
        p = ep + 1;
        continue;
      }
      s = NULL;
      break;
    }
    if (*ep == '?') {
      const char *res = do_match(ms, s + 1, ep + 1);
      if (res != NULL) {
        s = res;
        break;
      }
      p = ep + 1;
      continue;
    }
    if (*ep == '+') {
      s = max_expand(ms, s + 1, p, ep);
      break;
    }
    if (*ep == '*') {
      s = max_expand(ms, s, p, ep);
      break;
    }
    if (*ep == '-') {
      s = min_expand(ms, s, p, ep);
      break;
    }
    s++;
    p = ep;
  }
  ms->depth++;
  return s;
}

/* Pushes capture i (or the whole match s..e when there are none). */
static void push_onecapture(pm_state *ms, int i, const char *s, const char *e) {
  if (i >= ms->level) {
    if (i != 0) luaL_error(ms->L, "invalid capture index %%%d", i + 1);
    lua_pushlstring(ms->L, s, (size_t)(e - s));
    return;
  }
  ptrdiff_t l = ms->capture[i].len;
  if (l == CAP_UNFINISHED) luaL_error(ms->L, "unfinished capture");
  if (l == CAP_POSITION)
    lua_pushinteger(ms->L, (ms->capture[i].init - ms->src_init) + 1);
  else
    lua_pushlstring(ms->L, ms->capture[i].init, (size_t)l);
}

static int push_captures(pm_state *ms, const char *s, const char *e) {
  int n = (ms->level == 0 && s != NULL) ? 1 : ms->level;
  luaL_checkstack(ms->L, n, "too many captures");
  for (int i = 0; i < n; i++) push_onecapture(ms, i, s, e);
  return n;
}

static void prep_state(pm_state *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
  ms->L = L;
  ms->lim = dk_limits_of(L);
  if (ms->lim != NULL && !dk_limits_armed(ms->lim)) ms->lim = NULL;
  ms->steps = 0;
  ms->src_init = s;
  ms->src_end = s + ls;
  ms->p_end = p + lp;
}

static void reprep_state(pm_state *ms) {
  ms->level = 0;
  ms->depth = PM_MAXDEPTH;
}

static size_t start_index(lua_Integer pos, size_t len) {
  if (pos > 0) return (size_t)pos;
  if (pos == 0) return 1;
  if (pos < -(lua_Integer)len) return 1;
  return len + (size_t)pos + 1;
}

static int no_specials(const char *p, size_t l) {
  size_t upto = 0;
  do {
    if (strpbrk(p + upto, SPECIALS)) return 0;
    upto += strlen(p + upto) + 1; /* past an embedded NUL */
  } while (upto <= l);
  return 1;
}

static const char *mem_find(const char *s, size_t ls, const char *p, size_t lp) {
  if (lp == 0) return s;
  if (lp > ls) return NULL;
  for (const char *end = s + ls - lp; s <= end; s++)
    if (*s == *p && memcmp(s, p, lp) == 0) return s;
  return NULL;
}

static int find_aux(lua_State *L, int find) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) {
    luaL_pushfail(L);
    return 1;
  }
  if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
    const char *at = mem_find(s + init, ls - init, p, lp);
    if (at != NULL) {
      lua_pushinteger(L, (at - s) + 1);
      lua_pushinteger(L, (lua_Integer)((at - s) + (ptrdiff_t)lp));
      return 2;
    }
  } else {
    pm_state ms;
    const char *s1 = s + init;
    int anchor = *p == '^';
    if (anchor) p++, lp--;
    prep_state(&ms, L, s, ls, p, lp);
    do {
      reprep_state(&ms);
      const char *e = do_match(&ms, s1, p);
      if (e != NULL) {
        if (find) {
          lua_pushinteger(L, (s1 - s) + 1);
          lua_pushinteger(L, e - s);
          return push_captures(&ms, NULL, NULL) + 2;
        }
        return push_captures(&ms, s1, e);
      }
    } while (s1++ < ms.src_end && !anchor);
  }
  luaL_pushfail(L);
  return 1;
}

static int l_find(lua_State *L) { return find_aux(L, 1); }
static int l_match(lua_State *L) { return find_aux(L, 0); }

typedef struct gm_state {
  const char *src, *p, *lastmatch;
  pm_state ms;
} gm_state;

static int gmatch_step(lua_State *L) {
  gm_state *gm = lua_touserdata(L, lua_upvalueindex(3));
  gm->ms.L = L;
  gm->ms.lim = dk_limits_of(L);
  if (gm->ms.lim != NULL && !dk_limits_armed(gm->ms.lim)) gm->ms.lim = NULL;
  for (const char *src = gm->src; src <= gm->ms.src_end; src++) {
    reprep_state(&gm->ms);
    const char *e = do_match(&gm->ms, src, gm->p);
    if (e != NULL && e != gm->lastmatch) {
      gm->src = gm->lastmatch = e;
      return push_captures(&gm->ms, src, e);
    }
  }
  return 0;
}

static int l_gmatch(lua_State *L) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
  lua_settop(L, 2); /* subject and pattern stay alive as upvalues */
  gm_state *gm = lua_newuserdatauv(L, sizeof *gm, 0);
  if (init > ls) init = ls + 1; /* start after the end: no matches */
  prep_state(&gm->ms, L, s, ls, p, lp);
  gm->src = s + init;
  gm->p = p;
  gm->lastmatch = NULL;
  lua_pushcclosure(L, gmatch_step, 3);
  return 1;
}

static void add_s(pm_state *ms, luaL_Buffer *b, const char *s, const char *e) {
  size_t l;
  lua_State *L = ms->L;
  const char *news = lua_tolstring(L, 3, &l);
  const char *p;
  while ((p = memchr(news, ESC, l)) != NULL) {
    luaL_addlstring(b, news, (size_t)(p - news));
    p++;
    if (*p == ESC) {
      luaL_addchar(b, *p);
    } else if (*p == '0') {
      luaL_addlstring(b, s, (size_t)(e - s));
    } else if (isdigit((unsigned char)*p)) {
      push_onecapture(ms, *p - '1', s, e);
      luaL_tolstring(L, -1, NULL);
      lua_remove(L, -2);
      luaL_addvalue(b);
    } else {
      luaL_error(L, "invalid use of '%c' in replacement string", ESC);
    }
    l -= (size_t)(p + 1 - news);
    news = p + 1;
  }
  luaL_addlstring(b, news, l);
}

/* Adds the replacement of the match s..e; 0 when the match is kept as is. */
static int add_value(pm_state *ms, luaL_Buffer *b, const char *s, const char *e, int tr) {
  lua_State *L = ms->L;
  switch (tr) {
  case LUA_TFUNCTION: {
    lua_pushvalue(L, 3);
    int n = push_captures(ms, s, e);
    lua_call(L, n, 1);
    break;
  }
  case LUA_TTABLE:
    push_onecapture(ms, 0, s, e);
    lua_gettable(L, 3);
    break;
  default:
    add_s(ms, b, s, e);
    return 1;
  }
  if (!lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    luaL_addlstring(b, s, (size_t)(e - s));
    return 0;
  }
  if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  luaL_addvalue(b);
  return 1;
}

static int l_gsub(lua_State *L) {
  size_t srcl, lp;
  const char *src = luaL_checklstring(L, 1, &srcl);
  const char *p = luaL_checklstring(L, 2, &lp);
  const char *lastmatch = NULL;
  int tr = lua_type(L, 3);
  lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
  int anchor = *p == '^';
  lua_Integer n = 0;
  int changed = 0;
  luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                   "string/function/table");
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (anchor) p++, lp--;
  pm_state ms;
  prep_state(&ms, L, src, srcl, p, lp);
  while (n < max_s) {
    reprep_state(&ms);
    const char *e = do_match(&ms, src, p);
    if (e != NULL && e != lastmatch) {
      n++;
      changed = add_value(&ms, &b, src, e, tr) | changed;
      src = lastmatch = e;
    } else if (src < ms.src_end) {
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    if (anchor) break;
  }
  if (!changed) {
    lua_pushvalue(L, 1);
  } else {
    luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
    luaL_pushresult(&b);
  }
  lua_pushinteger(L, n);
  return 2;
}

void dk_pattern_register(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"find", l_find}, {"match", l_match}, {"gmatch", l_gmatch}, {"gsub", l_gsub}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
