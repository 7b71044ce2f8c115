/*
** gocrash core: real Go 1.19 outputs (tests/fixtures/go/recorded) and the line
** shapes of other Go versions (from the runtime sources, see
** /work/shared/reference/go-crash-output.md), plus hostile input.
*/
#include "test_util.h"

#include "gocrash.h"

/* A recorded output (tests/fixtures/go/recorded/go1.19.8/<rel>), '\0'-terminated. */
static char *slurp(const char *rel, size_t *len) {
  char path[1024];
  tu_blob b = tu_must_load(tu_join(path, sizeof path, TU_SRC("tests/fixtures/go/recorded/go1.19.8"), rel));
  *len = b.n;
  return (char *)b.p;
}

static int span_is(const char *t, dkg_span s, const char *want) {
  return s.len == strlen(want) && memcmp(t + s.off, want, s.len) == 0;
}

#define assert_span(t, s, want)                                                                   \
  do {                                                                                            \
    if (!span_is((t), (s), (want)))                                                               \
      fail_msg("got '%.*s', want '%s'", (int)(s).len, (t) + (s).off, (want));                     \
  } while (0)

typedef struct parsed {
  char *text;
  size_t len;
  dkg_result r;
} parsed;

static void parse_file(parsed *p, const char *rel) {
  p->text = slurp(rel, &p->len);
  assert_int_equal(dkg_parse(p->text, p->len, NULL, &p->r), 0);
}

static void parse_str(parsed *p, const char *s) {
  p->len = strlen(s);
  p->text = malloc(p->len + 1);
  assert_non_null(p->text);
  memcpy(p->text, s, p->len + 1);
  assert_int_equal(dkg_parse(p->text, p->len, NULL, &p->r), 0);
}

static void done(parsed *p) {
  dkg_free(&p->r);
  free(p->text);
}

static const dkg_frame *user_frame(const parsed *p) {
  assert_true(p->r.crashed != DKG_NONE);
  const dkg_goroutine *g = &p->r.goroutines[p->r.crashed];
  size_t i = dkg_first_user_frame(&p->r, g->first_frame, g->nframes);
  assert_true(i != DKG_NONE);
  return &p->r.frames[i];
}

static void check_user_frame(const parsed *p, const char *func, const char *file, long line) {
  const dkg_frame *f = user_frame(p);
  assert_span(p->text, f->func, func);
  assert_span(p->text, f->file, file);
  assert_int_equal(f->line, line);
}

/* A recorded crash: its cause and the crashed goroutine's first user frame. */
static void parse_crash(parsed *p, const char *rel, const char *cause, const char *func, const char *file, long line) {
  parse_file(p, rel);
  assert_string_equal(p->r.cause, cause);
  check_user_frame(p, func, file, line);
}

/* {=========== real outputs, both OSes */

static const char *const oses[] = {"linux", "windows"};

/* parse_crash on oses[os]/name. */
static void parse_os_crash(parsed *p, int os, const char *name, const char *cause, const char *func, const char *file,
                           long line) {
  char rel[64];
  snprintf(rel, sizeof rel, "%s/%s", oses[os], name);
  parse_crash(p, rel, cause, func, file, line);
}

static void nil_pointer(void **state) {
  (void)state;
  for (int o = 0; o < 2; o++) {
    parsed p;
    parse_os_crash(&p, o, "nilptr.txt", "nil-pointer", "main.load", "dkcrash/nilptr/main.go", 11);
    assert_int_equal(p.r.kind, DKG_KIND_PANIC);
    assert_span(p.text, p.r.message, "runtime error: invalid memory address or nil pointer dereference");
    assert_true(p.r.has_signal);
    assert_span(p.text, p.r.sig_name, o == 0 ? "SIGSEGV" : "0xc0000005");
    assert_span(p.text, p.r.sig_addr, "0x0");
    assert_span(p.text, p.r.sig_code, o == 0 ? "0x1" : "0x0");
    if (o == 0) assert_span(p.text, p.r.sig_desc, "segmentation violation");
    assert_int_equal(p.r.exit_code, 2);
    assert_false(p.r.truncated);
    done(&p);
  }
}

static void index_out_of_range(void **state) {
  (void)state;
  parsed p;
  parse_crash(&p, "linux/index.txt", "index-out-of-range", "main.pick", "dkcrash/index/main.go", 10);
  assert_int_equal(p.r.index, 5);
  assert_int_equal(p.r.length, 3);
  /* an inlined frame has no +0x offset */
  assert_int_equal(user_frame(&p)->pc_off, -1);
  assert_span(p.text, user_frame(&p)->args, "...");
  done(&p);
}

static void custom_and_nil_map(void **state) {
  (void)state;
  parsed p;
  parse_crash(&p, "linux/custom.txt", "custom", "main.connect", "dkcrash/custom/main.go", 7);
  assert_span(p.text, p.r.message, "cannot connect to db.internal:5432: connection refused");
  done(&p);
  parse_crash(&p, "windows/nilmap.txt", "nil-map", "main.(*registry).add", "dkcrash/nilmap/main.go", 9);
  done(&p);
}

static void nested_recovered(void **state) {
  (void)state;
  parsed p;
  parse_file(&p, "linux/nested.txt");
  assert_int_equal(p.r.npanics, 2);
  assert_true(p.r.panics[0].recovered);
  assert_span(p.text, p.r.panics[0].message, "first failure");
  assert_false(p.r.panics[1].recovered);
  assert_span(p.text, p.r.message, "cleanup failed after: first failure");
  check_user_frame(&p, "main.cleanup", "dkcrash/nested/main.go", 8);
  /* the runtime's panic frame sits between user frames */
  const dkg_goroutine *g = &p.r.goroutines[p.r.crashed];
  assert_int_equal(g->nframes, 4);
  assert_int_equal(p.r.frames[g->first_frame + 1].cls, DKG_RUNTIME);
  done(&p);
}

static void concurrent_map_writes(void **state) {
  (void)state;
  for (int o = 0; o < 2; o++) {
    parsed p;
    parse_os_crash(&p, o, "concmap.txt", "concurrent-map-writes", "main.writer", "dkcrash/concmap/main.go", 9);
    assert_int_equal(p.r.kind, DKG_KIND_FATAL);
    /* the goroutine printed first, the one that threw (ids vary by run) */
    assert_int_equal(p.r.crashed, 0);
    assert_span(p.text, p.r.goroutines[0].state, "running");
    assert_true(p.r.goroutines[p.r.crashed].has_created);
    assert_span(p.text, p.r.goroutines[p.r.crashed].created.func, "main.main");
    assert_int_equal(p.r.goroutines[p.r.crashed].created.line, 18);
    assert_int_equal(p.r.ngoroutines, 5);
    done(&p);
  }
}

static void deadlock(void **state) {
  (void)state;
  parsed p;
  parse_crash(&p, "linux/deadlock.txt", "deadlock", "main.main", "dkcrash/deadlock/main.go", 18);
  assert_int_equal(p.r.ngoroutines, 2);
  assert_int_equal(p.r.nbuckets, 2);
  done(&p);
}

static void race_report(void **state) {
  (void)state;
  parsed p;
  parse_file(&p, "linux/race.txt");
  assert_int_equal(p.r.kind, DKG_KIND_RACE);
  assert_int_equal(p.r.nraces, 1);
  assert_true(p.r.races[0].complete);
  assert_int_equal(p.r.races[0].naccess, 2);
  assert_int_equal(p.r.races[0].ngoroutine, 2);
  const dkg_race_access *a = &p.r.accesses[0], *b = &p.r.accesses[1];
  assert_false(a->write);
  assert_false(a->previous);
  assert_true(b->write);
  assert_true(b->previous);
  assert_span(p.text, a->addr, "0x0000005da600");
  assert_int_equal(a->nframes, 2);
  size_t fi = dkg_first_user_frame(&p.r, a->first_frame, a->nframes);
  assert_span(p.text, p.r.frames[fi].func, "main.bump");
  assert_int_equal(p.r.frames[fi].line, 13);
  assert_int_equal(p.r.race_goroutines[1].nframes, 1);
  assert_span(p.text, p.r.race_goroutines[1].state, "finished");
  assert_int_equal(p.r.races_found, 1);
  assert_int_equal(p.r.exit_code, 66);
  done(&p);
}

static void stack_overflow(void **state) {
  (void)state;
  parsed p;
  parse_crash(&p, "windows/stackoverflow.txt", "stack-overflow", "main.depth", "dkcrash/stackoverflow/main.go", 6);
  assert_int_equal(p.r.stack_limit, 1000000000);
  /* the runtime stack section is kept apart from the goroutines */
  assert_int_equal(p.r.goroutines[0].id, -1);
  assert_int_equal(p.r.goroutines[0].bucket, DKG_NONE);
  assert_int_equal(p.r.goroutines[p.r.crashed].elided, -1);
  assert_int_equal(p.r.goroutines[p.r.crashed].nframes, 100);
  done(&p);
}

static void out_of_memory(void **state) {
  (void)state;
  parsed p;
  parse_crash(&p, "linux/oom.txt", "out-of-memory", "main.grow", "dkcrash/oom/main.go", 10);
  assert_int_equal(p.r.oom_request, 67108864);
  assert_true(p.r.oom_in_use > 0);
  assert_true(p.r.goroot_known);
  assert_int_equal(p.r.goroot.len, 0); /* -trimpath */
  done(&p);
}

static void goroutine_buckets(void **state) {
  (void)state;
  parsed p;
  parse_file(&p, "linux/goroutines.txt");
  assert_int_equal(p.r.ngoroutines, 41);
  assert_int_equal(p.r.nbuckets, 4);
  assert_int_equal(p.r.buckets[0].count, 38);
  const dkg_goroutine *rep = &p.r.goroutines[p.r.buckets[0].rep];
  assert_span(p.text, rep->state, "chan receive");
  assert_span(p.text, p.r.frames[rep->first_frame].func, "main.worker");
  assert_int_equal(p.r.frames[rep->first_frame].line, 13);
  size_t total = 0;
  for (size_t b = 0; b < p.r.nbuckets; b++) total += p.r.buckets[b].count;
  assert_int_equal(total, 41);
  /* members list every goroutine of a bucket once */
  for (size_t i = 0; i < p.r.buckets[0].count; i++) {
    const dkg_goroutine *g = &p.r.goroutines[p.r.members[p.r.buckets[0].first_member + i]];
    assert_int_equal(g->bucket, 0);
  }
  done(&p);
}

static void gctrace(void **state) {
  (void)state;
  parsed p;
  parse_file(&p, "linux/gctrace.txt");
  assert_int_equal(p.r.kind, DKG_KIND_TRACE);
  assert_true(p.r.ngc >= 5);
  assert_int_equal(p.r.gc[0].n, 1);
  assert_true(p.r.gc[0].goal > 0);
  assert_int_equal(p.r.gc[0].procs >= 1, 1);
  assert_int_equal(p.r.gc[0].stacks, 0);
  assert_int_equal(p.r.other_lines, 0);
  assert_true(p.r.gc[p.r.ngc - 1].forced);
  done(&p);
}

/* }=========== */

/* {=========== other Go versions' line shapes */

static void go123_headers(void **state) {
  (void)state;
  parsed p;
  parse_str(&p,
            "SIGQUIT: quit\n"
            "PC=0x46e1a1 m=0 sigcode=0\n"
            "\n"
            "goroutine 0 gp=0x5a4f40 m=0 mp=0x5a5b60 [idle]:\n"
            "runtime.futex(0x5a5ca0, 0x80, 0x0, 0x0, 0x0, 0x0)\n"
            "\truntime/sys_linux_amd64.s:557 +0x21 fp=0x7ffc4 sp=0x7ffc3 pc=0x46e1a1\n"
            "\n"
            "goroutine 1 gp=0xc000002380 m=nil [chan receive, 3 minutes, locked to thread]:\n"
            "main.main()\n"
            "\t/home/u/app/main.go:12 +0x1d\n"
            "\n"
            "goroutine 7 gp=0xc0000e0000 m=nil [select]:\n"
            "example.com/app/worker.Run[...](0xc000010000, {0x4cafca?, 0xc000088f70?}, ...)\n"
            "\t/home/u/app/worker/run.go:41 +0x1d\n"
            "created by example.com/app/worker.Start in goroutine 1\n"
            "\t/home/u/app/worker/start.go:9 +0x2f\n"
            "\n"
            "rax    0xfffffffffffffffc\n"
            "rip    0x46e1a1\n");
  assert_int_equal(p.r.kind, DKG_KIND_SIGNAL);
  assert_string_equal(p.r.cause, "sigquit");
  assert_span(p.text, p.r.dump_pc, "0x46e1a1");
  assert_span(p.text, p.r.dump_sigcode, "0");
  assert_int_equal(p.r.ngoroutines, 3);
  assert_int_equal(p.r.goroutines[0].id, 0);
  assert_span(p.text, p.r.goroutines[0].state, "idle");
  const dkg_goroutine *g1 = &p.r.goroutines[1];
  assert_int_equal(g1->minutes, 3);
  assert_true(g1->locked);
  assert_span(p.text, g1->state, "chan receive");
  const dkg_goroutine *g7 = &p.r.goroutines[2];
  assert_int_equal(g7->parent, 1);
  assert_span(p.text, g7->created.func, "example.com/app/worker.Start");
  assert_int_equal(g7->created.line, 9);
  assert_span(p.text, p.r.frames[g7->first_frame].func, "example.com/app/worker.Run[...]");
  assert_span(p.text, p.r.frames[g7->first_frame].args, "0xc000010000, {0x4cafca?, 0xc000088f70?}, ...");
  assert_int_equal(p.r.frames[g7->first_frame].cls, DKG_USER);
  assert_int_equal(p.r.nregisters, 2);
  assert_span(p.text, p.r.registers[1].name, "rip");
  done(&p);
}

static void repanicked_and_elided(void **state) {
  (void)state;
  parsed p;
  parse_str(&p,
            "panic: boom [recovered, repanicked]\n"
            "\n"
            "goroutine 1 [running]:\n"
            "main.f(...)\n"
            "\t/src/app/main.go:5\n"
            "...20 frames elided...\n"
            "main.main()\n"
            "\t/src/app/main.go:9 +0x10\n"
            "exit status 2\n");
  assert_int_equal(p.r.npanics, 1);
  assert_true(p.r.panics[0].repanicked);
  assert_span(p.text, p.r.message, "boom");
  assert_int_equal(p.r.goroutines[0].elided, 20);
  assert_int_equal(p.r.goroutines[0].nframes, 2);
  assert_int_equal(p.r.exit_code, 2);
  assert_true(p.r.exit_code_text);
  done(&p);
}

static void windows_exception_block(void **state) {
  (void)state;
  parsed p;
  parse_str(&p,
            "Exception 0xc0000005 0x0 0x1234 0x7ffb12345678\r\n"
            "PC=0x7ffb12345678\r\n"
            "signal arrived during external code execution\r\n"
            "\r\n"
            "runtime.cgocall(0x4a1b20, 0xc000047e70)\r\n"
            "\tC:/Program Files/Go/src/runtime/cgocall.go:157 +0x4a fp=0xc0 sp=0xc0 pc=0x40542a\r\n"
            "goroutine 1 [syscall]:\r\n"
            "runtime.cgocall(0x4a1b20, 0xc000047e70)\r\n"
            "\tC:/Program Files/Go/src/runtime/cgocall.go:157 +0x4a\r\n"
            "main.main()\r\n"
            "\tC:/Users/dev/app/main.go:21 +0x2c\r\n");
  assert_int_equal(p.r.kind, DKG_KIND_EXCEPTION);
  assert_span(p.text, p.r.exc_code, "0xc0000005");
  assert_span(p.text, p.r.exc_info1, "0x1234");
  assert_span(p.text, p.r.exc_pc, "0x7ffb12345678");
  assert_true(p.r.goroot_known);
  assert_span(p.text, p.r.goroot, "C:/Program Files/Go");
  check_user_frame(&p, "main.main", "C:/Users/dev/app/main.go", 21);
  assert_int_equal(p.r.frames[p.r.goroutines[p.r.crashed].first_frame].cls, DKG_RUNTIME);
  done(&p);
}

static void classify(void **state) {
  (void)state;
  const char *gr = "/usr/lib/go-1.22";
  size_t gl = strlen(gr);
#define CL(fn, fl) dkg_classify(fn, strlen(fn), fl, strlen(fl), gr, gl, 1, NULL)
  assert_int_equal(CL("net/http.(*conn).serve", "/usr/lib/go-1.22/src/net/http/server.go"), DKG_STD);
  assert_int_equal(CL("runtime.gopark", "/usr/lib/go-1.22/src/runtime/proc.go"), DKG_RUNTIME);
  assert_int_equal(CL("github.com/x/y.F", "/root/go/pkg/mod/github.com/x/y@v1.2.0/f.go"), DKG_DEP);
  assert_int_equal(CL("github.com/me/app/db.Open", "/src/app/db/open.go"), DKG_USER);
  assert_int_equal(CL("sync.(*Mutex).Lock", "sync/mutex.go"), DKG_STD);
  assert_int_equal(CL("panic", "runtime/panic.go"), DKG_RUNTIME);
  assert_int_equal(dkg_classify("tool/x.F", 8, "tool/x/f.go", 11, "", 0, 1, "tool"), DKG_USER);
#undef CL
}

/* }=========== */

/* {=========== damaged input */

static void crlf_and_interleaved(void **state) {
  (void)state;
  parsed p;
  parse_str(&p,
            "starting server (v1.2)\r\n"
            "panic: runtime error: index out of range [7] with length 2\r\n"
            "\r\n"
            "goroutine 1 [running]:\r\n"
            "main.pick(...)\r\n"
            "\t/app/main.go:10\r\n"
            "request handled (ok)\r\n"
            "main.main()\r\n"
            "\t/app/main.go:15 +0xae\r\n");
  assert_string_equal(p.r.cause, "index-out-of-range");
  assert_int_equal(p.r.index, 7);
  assert_int_equal(p.r.goroutines[0].nframes, 2);
  check_user_frame(&p, "main.pick", "/app/main.go", 10);
  assert_true(p.r.other_lines >= 2);
  assert_false(p.r.truncated);
  done(&p);
}

static void truncated_dump(void **state) {
  (void)state;
  size_t len;
  char *full = slurp("linux/goroutines.txt", &len);
  /* cut right after a function line (before its file line) */
  const char *cut = strstr(full + len / 2, "main.worker(0x0?)\n");
  assert_non_null(cut);
  size_t n = (size_t)(cut - full) + strlen("main.worker(0x0?)\n");
  dkg_result r;
  assert_int_equal(dkg_parse(full, n, NULL, &r), 0);
  assert_true(r.truncated);
  assert_non_null(r.stop_reason);
  assert_true(r.stop_line > 1);
  assert_true(r.stop_off < n);
  assert_memory_equal(full + r.stop_off, "main.worker(", 12);
  assert_true(r.ngoroutines > 5);
  assert_string_equal(r.cause, "custom");
  dkg_free(&r);
  /* every prefix parses and never claims more goroutines than the whole */
  dkg_result whole;
  assert_int_equal(dkg_parse(full, len, NULL, &whole), 0);
  for (size_t k = 0; k <= len; k += 97) {
    assert_int_equal(dkg_parse(full, k, NULL, &r), 0);
    assert_true(r.ngoroutines <= whole.ngoroutines);
    dkg_free(&r);
  }
  dkg_free(&whole);
  free(full);
}

static void binary_bytes(void **state) {
  (void)state;
  static const char junk[] = "\xff\xfe\0\npanic: \x80\x81 bad \0value\n\ngoroutine 1 [running]:\n\xc3(\xff)\n\t\x01:1 +0x\n";
  dkg_result r;
  assert_int_equal(dkg_parse(junk, sizeof junk - 1, NULL, &r), 0);
  assert_int_equal(r.kind, DKG_KIND_PANIC);
  assert_int_equal(r.message.len, strlen("\x80\x81 bad ") + 1 + strlen("value"));
  dkg_free(&r);
  assert_int_equal(dkg_parse(NULL, 0, NULL, &r), 0);
  assert_int_equal(r.kind, DKG_KIND_NONE);
  dkg_free(&r);
}

/* }=========== */

TU_MAIN(nil_pointer, index_out_of_range, custom_and_nil_map, nested_recovered, concurrent_map_writes,
    deadlock, race_report, stack_overflow, out_of_memory, goroutine_buckets, gctrace, go123_headers,
    repanicked_and_elided, windows_exception_block, classify, crlf_and_interleaved, truncated_dump,
    binary_bytes)
