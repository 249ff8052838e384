/* The QuickFIX FileStore import on stores made by hand: both .seqnums
 * formats, the prefix from its parts, into a memory and a file store, a
 * renumbered .header (last bytes win, stale numbers left out), and every
 * fault: missing files, cut or garbled .header entries, entries past the
 * end of .body or overlapping, signed, zero and oversized numbers, a
 * .session that does not parse, oversized small files, a message that is
 * not one FIX frame, a destination that is not new, one that fails
 * half-way, a source that changes during the copy, failing allocations.
 * A sparse 6 GiB .body and a 100 000-entry .header show memory bounded by
 * the largest message, not the file. Each fault leaves the destination new.
 * Everything lives under one mkdtemp directory in /tmp, removed at the end. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixgw/codec.h"
#include "fixgw/store.h"
#include "fixgw/store_file.h"
#include "fixgw/store_import.h"
#include "harness.h"

#define PREFIX "FIX.4.4-SND-TGT"

static char g_root[64];
static int g_case;

/* ------------------------------------------------------------ helpers */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f) {
  (void)sb;
  (void)flag;
  (void)f;
  return remove(p);
}

static void new_dir(char *out, size_t cap) {
  snprintf(out, cap, "%s/c%d", g_root, g_case++);
  assert_int_equal(mkdir(out, 0755), 0);
}

static void path_of(const char *dir, const char *prefix, const char *ext, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s.%s", dir, prefix, ext);
}

static void put(const char *dir, const char *ext, const void *b, size_t n) {
  char p[512];
  path_of(dir, PREFIX, ext, p, sizeof p);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, n, f), n);
  assert_int_equal(fclose(f), 0);
}

static void put_s(const char *dir, const char *ext, const char *s) { put(dir, ext, s, strlen(s)); }

/* A real FIX message (BodyLength and CheckSum right) for seq, with a
 * payload that tells copies apart. */
static size_t fixmsg(char *out, size_t cap, uint64_t seq, const char *tag) {
  char body[512];
  int bl = snprintf(body, sizeof body,
                    "35=D\x01" "34=%" PRIu64 "\x01" "49=SND\x01" "56=TGT\x01"
                    "52=20240102-03:04:05.000\x01" "11=%s\x01",
                    seq, tag);
  int n = snprintf(out, cap, "8=FIX.4.4\x01" "9=%d\x01%s", bl, body);
  n += snprintf(out + n, cap - (size_t)n, "10=%03u\x01", fixgw_checksum(out, (size_t)n));
  assert_true((size_t)n < cap);
  return (size_t)n;
}

typedef struct src {
  char dir[256];
  int n;
  uint64_t seq[8];
  char msg[8][600];
  size_t len[8];
} src_t;

/* A good store of n messages 1..n, next numbers n+1 : 7, created
 * 2024-01-02 03:04:05 UTC, in QuickFIX 1.15's format. */
static void good(src_t *s, int n) {
  memset(s, 0, sizeof *s);
  new_dir(s->dir, sizeof s->dir);
  char body[8 * 600], header[1024];
  size_t bl = 0, hl = 0;
  for (int i = 0; i < n; i++) {
    char tag[16];
    snprintf(tag, sizeof tag, "ORD%d", i + 1);
    s->seq[i] = (uint64_t)i + 1;
    s->len[i] = fixmsg(s->msg[i], sizeof s->msg[i], s->seq[i], tag);
    hl += (size_t)snprintf(header + hl, sizeof header - hl, "%d,%zu,%zu ", i + 1, bl, s->len[i]);
    memcpy(body + bl, s->msg[i], s->len[i]);
    bl += s->len[i];
  }
  s->n = n;
  put(s->dir, "body", body, bl);
  put(s->dir, "header", header, hl);
  char sq[64];
  snprintf(sq, sizeof sq, "%010d : %010d", n + 1, 7);
  put_s(s->dir, "seqnums", sq);
  put_s(s->dir, "session", "20240102-03:04:05");
}

static int64_t ts(int y, unsigned mo, unsigned d, int h, int mi, int sec) {
  return (fixgw_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000000000LL;
}

static void cfg_for(fixgw_qf_import_config_t *c, const char *dir) {
  fixgw_qf_import_config_default(c);
  c->directory = dir;
  c->prefix = PREFIX;
}

/* Room for test_large_header's 100 000 messages only where asked: each
 * fault case makes a store, and a big one costs under ASan. */
static void mem_store_sized(fixgw_store_t *st, uint32_t msgs, size_t bytes) {
  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  mc.max_messages = msgs;
  mc.max_bytes = bytes;
  mc.now_utc_ns = 42;
  assert_int_equal(fixgw_mem_store_create(&mc, st), 0);
}

static void mem_store(fixgw_store_t *st) { mem_store_sized(st, 64, 64 * 1024); }

/* The store holds exactly s's messages 0..n-1 (by index), in order. */
static void assert_holds(fixgw_store_t *st, const src_t *s, const int *idx, int n) {
  assert_int_equal(st->ops->iter_open(st->self, 1, UINT64_MAX), 0);
  for (int i = 0; i < n; i++) {
    uint64_t seq;
    const char *m;
    size_t len;
    assert_int_equal(st->ops->iter_next(st->self, &seq, &m, &len), 0);
    assert_int_equal(seq, s->seq[idx[i]]);
    assert_int_equal(len, s->len[idx[i]]);
    assert_memory_equal(m, s->msg[idx[i]], len);
  }
  uint64_t seq;
  const char *m;
  size_t len;
  assert_int_equal(st->ops->iter_next(st->self, &seq, &m, &len), FIXGW_ENOTFOUND);
  st->ops->iter_close(st->self);
}

/* Still new: numbers 1 and 1, no message, creation time untouched. */
static void assert_new(fixgw_store_t *st) {
  uint64_t a, b;
  assert_int_equal(st->ops->get_seqnums(st->self, &a, &b), 0);
  assert_int_equal(a, 1);
  assert_int_equal(b, 1);
  assert_holds(st, NULL, NULL, 0);
  int64_t t;
  assert_int_equal(st->ops->creation_time(st->self, &t), 0);
  assert_int_equal(t, 42);
}

/* rc is code, the error names the file ending in ext (NULL: the
 * destination) and says `words`; the destination is still new. */
static void expect_fail(const char *dir, const fixgw_qf_import_config_t *cfg0, int code,
                        const char *ext, const char *words) {
  fixgw_qf_import_config_t cfg;
  if (cfg0) cfg = *cfg0;
  else cfg_for(&cfg, dir);
  fixgw_store_t st;
  mem_store(&st);
  fixgw_qf_import_error_t e;
  fixgw_qf_store_info_t info;
  int rc = fixgw_qf_store_import(&cfg, &st, &info, &e);
  if (rc != code || e.code != code || !strstr(e.text, words) ||
      (ext && (strlen(e.path) < strlen(ext) ||
               strcmp(e.path + strlen(e.path) - strlen(ext), ext))) ||
      (ext && strncmp(e.text, e.path, strlen(e.path))))
    fail_msg("want %s \"%s\" on %s, got %s: %s", fixgw_err_name(code), words,
             ext ? ext : "(destination)", fixgw_err_name(rc), e.text);
  assert_int_equal(e.written, 0);
  assert_new(&st);
  fixgw_store_destroy(&st);
  /* check() finds the same fault of the files. */
  if (ext) {
    memset(&e, 0, sizeof e);
    assert_int_equal(fixgw_qf_store_check(&cfg, &info, &e), code);
    assert_non_null(strstr(e.text, words));
  }
}

/* ----------------------------------------------------------- the good */

static void test_import_memory(void **state) {
  (void)state;
  src_t s;
  good(&s, 5);
  fixgw_qf_import_config_t cfg;
  cfg_for(&cfg, s.dir);
  fixgw_store_t st;
  mem_store(&st);
  fixgw_qf_store_info_t in;
  fixgw_qf_import_error_t e;
  int rc = fixgw_qf_store_import(&cfg, &st, &in, &e);
  if (rc) fail_msg("%s", e.text);
  const int all[] = {0, 1, 2, 3, 4};
  assert_holds(&st, &s, all, 5);
  uint64_t a, b;
  assert_int_equal(st.ops->get_seqnums(st.self, &a, &b), 0);
  assert_int_equal(a, 6);
  assert_int_equal(b, 7);
  int64_t t;
  assert_int_equal(st.ops->creation_time(st.self, &t), 0);
  assert_int_equal(t, ts(2024, 1, 2, 3, 4, 5));
  assert_int_equal(in.entries, 5);
  assert_int_equal(in.messages, 5);
  assert_int_equal(in.imported, 5);
  assert_int_equal(in.first_seq, 1);
  assert_int_equal(in.last_seq, 5);
  assert_int_equal(in.superseded, 0);
  assert_int_equal(in.stale, 0);
  assert_int_equal(in.next_sender, 6);
  assert_int_equal(in.next_target, 7);
  assert_int_equal(in.creation_utc_ns, ts(2024, 1, 2, 3, 4, 5));
  assert_true(in.creation_kept);
  size_t total = 0, mx = 0;
  for (int i = 0; i < 5; i++) {
    total += s.len[i];
    mx = s.len[i] > mx ? s.len[i] : mx;
  }
  assert_int_equal(in.message_bytes, total);
  assert_int_equal(in.max_message_len, mx);
  assert_int_equal(in.body_bytes, total);
  /* A second import into the now-used store is refused. */
  rc = fixgw_qf_store_import(&cfg, &st, &in, &e);
  assert_int_equal(rc, FIXGW_ESTATE);
  assert_non_null(strstr(e.text, "not new"));
  assert_int_equal(e.written, 0);
  assert_holds(&st, &s, all, 5);
  fixgw_store_destroy(&st);
}

/* 20-digit numbers (QuickFIX after 1.15), a fraction in .session, the
 * prefix from its parts with a qualifier, into a file store that is
 * reopened; a store created at another time is reset to QuickFIX's. */
static void test_import_file_store(void **state) {
  (void)state;
  src_t s;
  good(&s, 3);
  char from[512], to[512];
  const char *ext4[] = {"body", "header", "seqnums", "session"};
  for (int i = 0; i < 4; i++) {
    path_of(s.dir, PREFIX, ext4[i], from, sizeof from);
    path_of(s.dir, PREFIX "-Q1", ext4[i], to, sizeof to);
    assert_int_equal(rename(from, to), 0);
  }
  path_of(s.dir, PREFIX "-Q1", "seqnums", to, sizeof to);
  FILE *f = fopen(to, "w");
  fprintf(f, "%020d : %020d", 4, 12345);
  fclose(f);
  path_of(s.dir, PREFIX "-Q1", "session", to, sizeof to);
  f = fopen(to, "w");
  fprintf(f, "20991231-23:59:58.250");
  fclose(f);
  int64_t want = ts(2099, 12, 31, 23, 59, 58) + 250000000;

  fixgw_qf_import_config_t cfg;
  fixgw_qf_import_config_default(&cfg);
  cfg.directory = s.dir;
  cfg.begin_string = "FIX.4.4";
  cfg.sender_comp_id = "SND";
  cfg.target_comp_id = "TGT";
  cfg.qualifier = "Q1";
  fixgw_qf_store_info_t in;
  fixgw_qf_import_error_t e;
  assert_int_equal(fixgw_qf_store_check(&cfg, &in, &e), 0);
  assert_int_equal(in.creation_utc_ns, want);
  assert_int_equal(in.next_target, 12345);

  for (int pass = 0; pass < 2; pass++) {
    char dst[256];
    new_dir(dst, sizeof dst);
    fixgw_file_store_config_t fc;
    fixgw_file_store_config_default(&fc);
    fc.directory = dst;
    fc.key = "K";
    fc.sync = FIXGW_FILE_SYNC_OS;
    fc.grow_bytes = 1 << 16;
    fc.window_bytes = 1 << 16;
    fc.max_messages = 1024;
    fc.now_utc_ns = pass == 0 ? in.creation_utc_ns : 1; /* pass 1: reset needed */
    fixgw_store_t st;
    assert_int_equal(fixgw_file_store_open(&fc, &st, NULL), 0);
    int rc = fixgw_qf_store_import(&cfg, &st, &in, &e);
    if (rc) fail_msg("%s", e.text);
    assert_true(in.creation_kept);
    fixgw_store_destroy(&st);
    char arch[512];
    snprintf(arch, sizeof arch, "%s/K.g000001.log", dst);
    /* Documented: the reset archives the empty first generation. */
    assert_int_equal(access(arch, F_OK) == 0, pass == 1);

    fc.flags = FIXGW_FILE_STORE_MUST_EXIST;
    assert_int_equal(fixgw_file_store_open(&fc, &st, NULL), 0);
    const int all[] = {0, 1, 2};
    assert_holds(&st, &s, all, 3);
    uint64_t a, b;
    assert_int_equal(st.ops->get_seqnums(st.self, &a, &b), 0);
    assert_int_equal(a, 4);
    assert_int_equal(b, 12345);
    int64_t t;
    assert_int_equal(st.ops->creation_time(st.self, &t), 0);
    assert_int_equal(t, want);
    fixgw_store_destroy(&st);
  }
  /* The wrong prefix: the files are not there. */
  cfg.qualifier = NULL;
  expect_fail(s.dir, &cfg, FIXGW_ENOTFOUND, "FIX.4.4-SND-TGT.body", "missing");
}

/* An empty QuickFIX store (new, or PersistMessages=N): numbers only. */
static void test_numbers_only(void **state) {
  (void)state;
  src_t s;
  good(&s, 0);
  put_s(s.dir, "seqnums", "0000000100 : 0000000200\n");
  fixgw_qf_import_config_t cfg;
  cfg_for(&cfg, s.dir);
  fixgw_store_t st;
  mem_store(&st);
  fixgw_qf_store_info_t in;
  fixgw_qf_import_error_t e;
  assert_int_equal(fixgw_qf_store_import(&cfg, &st, &in, &e), 0);
  assert_holds(&st, &s, NULL, 0);
  uint64_t a, b;
  assert_int_equal(st.ops->get_seqnums(st.self, &a, &b), 0);
  assert_int_equal(a, 100);
  assert_int_equal(b, 200);
  assert_int_equal(in.messages, 0);
  assert_int_equal(in.first_seq, 0);
  fixgw_store_destroy(&st);
}

/* Numbers stored again out of order (QuickFIX told to reuse them): the
 * last bytes written for a number win, as in QuickFIX; numbers at or above
 * the next sender number are left out; gaps stay gaps. */
static void test_renumbered_header(void **state) {
  (void)state;
  src_t s;
  memset(&s, 0, sizeof s);
  new_dir(s.dir, sizeof s.dir);
  /* Written in this order: 1, 2, 5, 2 (again), 3, 9 (stale). */
  const uint64_t order[] = {1, 2, 5, 2, 3, 9};
  char body[8 * 600], header[512];
  size_t bl = 0, hl = 0;
  for (int i = 0; i < 6; i++) {
    char tag[16];
    snprintf(tag, sizeof tag, "W%d", i);
    s.seq[i] = order[i];
    s.len[i] = fixmsg(s.msg[i], sizeof s.msg[i], order[i], tag);
    hl += (size_t)snprintf(header + hl, sizeof header - hl, "%" PRIu64 ",%zu,%zu ", order[i],
                           bl, s.len[i]);
    memcpy(body + bl, s.msg[i], s.len[i]);
    bl += s.len[i];
  }
  put(s.dir, "body", body, bl);
  put(s.dir, "header", header, hl);
  put_s(s.dir, "seqnums", "0000000007 : 0000000003");
  put_s(s.dir, "session", "20240102-03:04:05");
  fixgw_qf_import_config_t cfg;
  cfg_for(&cfg, s.dir);
  fixgw_store_t st;
  mem_store(&st);
  fixgw_qf_store_info_t in;
  fixgw_qf_import_error_t e;
  int rc = fixgw_qf_store_import(&cfg, &st, &in, &e);
  if (rc) fail_msg("%s", e.text);
  const int want[] = {0, 3, 4, 2}; /* 1, 2 (second), 3, 5 */
  assert_holds(&st, &s, want, 4);
  assert_int_equal(in.entries, 6);
  assert_int_equal(in.superseded, 1);
  assert_int_equal(in.stale, 1);
  assert_int_equal(in.messages, 4);
  assert_int_equal(in.imported, 4);
  assert_int_equal(in.first_seq, 1);
  assert_int_equal(in.last_seq, 5);
  uint64_t a, b;
  assert_int_equal(st.ops->get_seqnums(st.self, &a, &b), 0);
  assert_int_equal(a, 7);
  assert_int_equal(b, 3);
  fixgw_store_destroy(&st);
  /* Too many to sort within the configured index: refused up front. */
  cfg.max_index_entries = 5;
  expect_fail(s.dir, &cfg, FIXGW_EFULL, ".header", "max_index_entries");
}

/* What a QuickFIX stopped mid-send leaves: it writes the .header entry,
 * then the .body bytes, then raises the next sender number, then sends.
 * An entry at the next sender number pointing past the end of .body (the
 * bytes never written), and after a restart the same number stored again
 * over them: QuickFIX reads neither old entry again, nor does the import. */
static void test_stopped_mid_send(void **state) {
  (void)state;
  src_t s;
  good(&s, 2); /* next sender 3 */
  size_t l0 = s.len[0], l1 = s.len[1];
  char h[160];
  snprintf(h, sizeof h, "1,0,%zu 2,%zu,%zu 3,%zu,500 ", l0, l0, l1, l0 + l1);
  put_s(s.dir, "header", h);
  fixgw_qf_import_config_t cfg;
  cfg_for(&cfg, s.dir);
  fixgw_qf_store_info_t in;
  fixgw_qf_import_error_t e;
  for (int k = 0; k < 2; k++) {
    if (k == 1) {
      /* Restarted at 2 (the stop came before the number was raised):
       * 2's old entry runs past the end and is then written again. */
      char both[1200];
      memcpy(both, s.msg[0], l0);
      memcpy(both + l0, s.msg[1], l1);
      put(s.dir, "body", both, l0 + l1);
      snprintf(h, sizeof h, "1,0,%zu 2,%zu,%zu 2,%zu,%zu ", l0, l0, l1 + 40, l0, l1);
      put_s(s.dir, "header", h);
      put_s(s.dir, "seqnums", "0000000003 : 0000000007");
    }
    fixgw_store_t st;
    mem_store(&st);
    int rc = fixgw_qf_store_import(&cfg, &st, &in, &e);
    if (rc) fail_msg("%s", e.text);
    const int all[] = {0, 1};
    assert_holds(&st, &s, all, 2);
    assert_int_equal(in.stale, k == 0);
    assert_int_equal(in.superseded, k == 1);
    assert_int_equal(in.entries, 3);
    uint64_t a, b;
    assert_int_equal(st.ops->get_seqnums(st.self, &a, &b), 0);
    assert_int_equal(a, 3);
    fixgw_store_destroy(&st);
  }
}

/* ---------------------------------------------------------- the faults */

static void test_missing_files(void **state) {
  (void)state;
  const char *ext4[] = {"body", "header", "seqnums", "session"};
  for (int i = 0; i < 4; i++) {
    src_t s;
    good(&s, 2);
    char p[512], dotext[16];
    path_of(s.dir, PREFIX, ext4[i], p, sizeof p);
    assert_int_equal(unlink(p), 0);
    snprintf(dotext, sizeof dotext, ".%s", ext4[i]);
    expect_fail(s.dir, NULL, FIXGW_ENOTFOUND, dotext, "missing");
    /* A directory, or a FIFO nobody writes, where the file should be. */
    assert_int_equal(mkdir(p, 0755), 0);
    expect_fail(s.dir, NULL, FIXGW_EFORMAT, dotext, "not a regular file");
    assert_int_equal(rmdir(p), 0);
    assert_int_equal(mkfifo(p, 0644), 0);
    expect_fail(s.dir, NULL, FIXGW_EFORMAT, dotext, "not a regular file");
  }
}

static void test_bad_header(void **state) {
  (void)state;
  src_t s;
  good(&s, 2);
  size_t l0 = s.len[0], l1 = s.len[1], body = l0 + l1;
  char h[40][160];
  const char *words[40], *file[40];
  int code[40], n = 0;
  /* The entry's fault is named in .header; bytes that are not a message
   * in .body (which of the two is wrong cannot be told). */
#define CASE(c, w, ...)                                  \
  do {                                                   \
    snprintf(h[n], sizeof h[n], __VA_ARGS__);            \
    code[n] = (c);                                       \
    words[n] = (w);                                      \
    file[n] = strstr(w, "FIX message") ? ".body" : ".header"; \
    n++;                                                 \
  } while (0)
  CASE(FIXGW_EFORMAT, "byte 0x58 where its size", "1,0,X ");
  CASE(FIXGW_EFORMAT, "the sequence number is signed", "-1,0,%zu ", l0);
  CASE(FIXGW_EFORMAT, "the offset is signed", "1,-0,%zu ", l0);
  CASE(FIXGW_EFORMAT, "the size is signed", "1,0,+%zu ", l0);
  CASE(FIXGW_EFORMAT, "sequence number does not fit in 64 bits",
       "18446744073709551616,0,%zu ", l0);
  CASE(FIXGW_EFORMAT, "offset does not fit in 64 bits", "1,99999999999999999999999,%zu ", l0);
  CASE(FIXGW_EFORMAT, "size does not fit in 64 bits", "1,0,184467440737095516150 ");
  CASE(FIXGW_EFORMAT, "sequence number 0 is not usable", "0,0,%zu ", l0);
  CASE(FIXGW_EFORMAT, "sequence number 18446744073709551615 is not usable",
       "18446744073709551615,0,%zu ", l0);
  CASE(FIXGW_EFORMAT, "offset 9223372036854775808 is beyond any file",
       "1,9223372036854775808,%zu ", l0);
  CASE(FIXGW_EFORMAT, "points past the end", "1,0,%zu ", body + 1);
  CASE(FIXGW_EFORMAT, "points past the end", "1,0,%zu 2,%zu,%zu ", l0, l0, l1 + 1);
  CASE(FIXGW_EFORMAT, "points past the end", "1,%zu,%zu ", body, l0);
  CASE(FIXGW_EFORMAT, "points past the end", "1,9223372036854775807,16777215 ");
  CASE(FIXGW_EFORMAT, "overlaps the entry before it", "1,0,%zu 2,%zu,%zu ", l0, l0 - 1, l1);
  CASE(FIXGW_EFORMAT, "overlaps the entry before it", "1,%zu,%zu 2,0,%zu ", l0, l1, l0);
  CASE(FIXGW_EFORMAT, "cut off after its size", "1,0,%zu 2,%zu,%zu", l0, l0, l1);
  CASE(FIXGW_EFORMAT, "cut off before its size", "1,0,%zu 2,%zu,", l0, l0);
  CASE(FIXGW_EFORMAT, "cut off before its offset", "1,0,%zu 2,", l0);
  CASE(FIXGW_EFORMAT, "where ',' should be", "1;0;%zu ", l0);
  CASE(FIXGW_EFORMAT, "where ' ' should be", "1,0,%zu;", l0);
  CASE(FIXGW_EFORMAT, "byte 0x00 where its sequence number", "1,0,%zu %c", l0, 0);
  CASE(FIXGW_EFORMAT, "not one FIX message", "1,0,%zu ", l0 - 1);
  CASE(FIXGW_EFORMAT, "not one FIX message", "1,1,%zu ", l0 - 1);
  CASE(FIXGW_EFORMAT, "not one FIX message", "1,0,%zu ", body);
  CASE(FIXGW_EFORMAT, "not one FIX message", "1,0,0 ");
#undef CASE
  for (int i = 0; i < n; i++) {
    size_t len = strlen(h[i]);
    if (i == 21) len += 1; /* the NUL byte case */
    put(s.dir, "header", h[i], len);
    expect_fail(s.dir, NULL, code[i], file[i], words[i]);
  }
  /* Longer than the configured limit. */
  char ok[64];
  snprintf(ok, sizeof ok, "1,0,%zu 2,%zu,%zu ", l0, l0, l1);
  put_s(s.dir, "header", ok);
  fixgw_qf_import_config_t cfg;
  cfg_for(&cfg, s.dir);
  cfg.max_message_size = l0 - 1;
  expect_fail(s.dir, &cfg, FIXGW_ETOOBIG, ".header", "more than max_message_size");
  /* Seen through the message: named in .body. */
  s.msg[1][20] ^= 1;
  char both[1200];
  memcpy(both, s.msg[0], l0);
  memcpy(both + l0, s.msg[1], l1);
  put(s.dir, "body", both, body);
  expect_fail(s.dir, NULL, FIXGW_EFORMAT, ".body", "CheckSum (10) that does not match");
  /* Cut .body: the last entry points past its end. */
  put(s.dir, "body", both, body - 3);
  expect_fail(s.dir, NULL, FIXGW_EFORMAT, ".header", "points past the end");
}

static void test_bad_seqnums(void **state) {
  (void)state;
  src_t s;
  good(&s, 2);
  static const struct {
    const char *text, *words;
  } c[] = {
      {"", "empty"},
      {"abc", "no next sender number"},
      {"-000000001 : 0000000003", "sender number is signed"},
      {"0000000003 : -000000001", "target number is signed"},
      {"18446744073709551616 : 1", "sender number does not fit in 64 bits"},
      {"3 : 99999999999999999999999999", "target number does not fit in 64 bits"},
      {"0000000000 : 0000000001", "sender number is 0"},
      {"3 : 0", "target number is 0"},
      {"3 : 18446744073709551615", "not a usable sequence number"},
      {"3 7", "no ':'"},
      {"3 :", "no next target number"},
      {"3 : 7 x", "unexpected bytes after the target number"},
      {"3 : 7\0", "unexpected bytes after the target number"},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    put(s.dir, "seqnums", c[i].text, strlen(c[i].text) + (i == 12));
    expect_fail(s.dir, NULL, FIXGW_EFORMAT, ".seqnums", c[i].words);
  }
  char big[4096];
  memset(big, '1', sizeof big);
  put(s.dir, "seqnums", big, sizeof big);
  expect_fail(s.dir, NULL, FIXGW_EFORMAT, ".seqnums", "larger than");
  /* Hand-edited with spaces and a newline is fine. */
  put_s(s.dir, "seqnums", "  3:9 \n");
  fixgw_qf_import_config_t cfg;
  cfg_for(&cfg, s.dir);
  fixgw_qf_store_info_t in;
  assert_int_equal(fixgw_qf_store_check(&cfg, &in, NULL), 0);
  assert_int_equal(in.next_sender, 3);
  assert_int_equal(in.next_target, 9);
}

static void test_bad_session(void **state) {
  (void)state;
  src_t s;
  good(&s, 1);
  static const struct {
    const char *text, *words;
  } c[] = {
      {"", "empty"},
      {"  \n", "empty"},
      {"yesterday", "\"yesterday\" is not a UTC time"},
      {"2024-01-02T03:04:05Z", "is not a UTC time"},
      {"20241302-03:04:05", "not a real date"},
      {"20240230-03:04:05", "not a real date"},
      {"20240102-24:00:00", "not a real date"},
      {"20240102-03:04:05.12", "is not a UTC time"},
      {"20240102-03:04:05 x", "is not a UTC time"},
      {"99991231-23:59:59", "out of range"},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    put_s(s.dir, "session", c[i].text);
    expect_fail(s.dir, NULL, FIXGW_EFORMAT, ".session", c[i].words);
  }
  char big[1000];
  memset(big, '2', sizeof big);
  put(s.dir, "session", big, sizeof big);
  expect_fail(s.dir, NULL, FIXGW_EFORMAT, ".session", "larger than");
}

/* A destination that already holds something is refused untouched. */
static void test_destination_not_new(void **state) {
  (void)state;
  src_t s;
  good(&s, 2);
  fixgw_qf_import_config_t cfg;
  cfg_for(&cfg, s.dir);
  fixgw_qf_import_error_t e;
  for (int k = 0; k < 3; k++) {
    fixgw_store_t st;
    mem_store(&st);
    if (k == 0) assert_int_equal(st.ops->append(st.self, 1, "x", 1), 0);
    if (k == 1) assert_int_equal(st.ops->set_next_target(st.self, 5), 0);
    if (k == 2) assert_int_equal(st.ops->set_next_sender(st.self, 9), 0);
    assert_int_equal(fixgw_qf_store_import(&cfg, &st, NULL, &e), FIXGW_ESTATE);
    assert_int_equal(e.written, 0);
    assert_non_null(strstr(e.text, "not new"));
    assert_non_null(strstr(e.text, k == 0 ? "next sender 2" : k == 1 ? "next target 5"
                                                                       : "next sender 9"));
    uint64_t a, b;
    assert_int_equal(st.ops->get_seqnums(st.self, &a, &b), 0);
    assert_int_equal(a, k == 0 ? 2 : k == 1 ? 1 : 9);
    assert_int_equal(b, k == 1 ? 5 : 1);
    int64_t t;
    assert_int_equal(st.ops->creation_time(st.self, &t), 0);
    assert_int_equal(t, 42);
    fixgw_store_destroy(&st);
  }
  /* Not a usable store at all. */
  fixgw_store_t none = {NULL, NULL};
  assert_int_equal(fixgw_qf_store_import(&cfg, &none, NULL, &e), FIXGW_EINVAL);
  assert_int_equal(fixgw_qf_store_import(&cfg, NULL, NULL, &e), FIXGW_EINVAL);
}

/* A destination that fails half-way, and a source that changes under the
 * copy: failures, never success, and err says the destination was
 * written. The wrapper forwards to a memory store. */
typedef struct wrap {
  fixgw_store_t inner;
  int fail_at; /* append number that fails (1-based), 0: none */
  int appends;
  const char *touch; /* file to change at the first append */
} wrap_t;

static fixgw_store_ops_t g_wrap_ops;

static int w_append(void *self, uint64_t seq, const char *msg, size_t len) {
  wrap_t *w = self;
  if (++w->appends == w->fail_at) return FIXGW_EFULL;
  if (w->touch && w->appends == 1) {
    FILE *f = fopen(w->touch, "r+");
    assert_non_null(f);
    fputs("0000000009", f);
    fclose(f);
  }
  return w->inner.ops->append(w->inner.self, seq, msg, len);
}
#define FWD(name, sig, args) \
  static int w_##name sig { wrap_t *w = self; return w->inner.ops->name args; }
FWD(get_seqnums, (void *self, uint64_t *a, uint64_t *b), (w->inner.self, a, b))
FWD(set_next_sender, (void *self, uint64_t n), (w->inner.self, n))
FWD(set_next_target, (void *self, uint64_t n), (w->inner.self, n))
FWD(reset, (void *self, int64_t t), (w->inner.self, t))
FWD(creation_time, (void *self, int64_t *t), (w->inner.self, t))
FWD(iter_open, (void *self, uint64_t a, uint64_t b), (w->inner.self, a, b))
FWD(iter_next, (void *self, uint64_t *s, const char **m, size_t *l), (w->inner.self, s, m, l))
#undef FWD
static void w_iter_close(void *self) {
  wrap_t *w = self;
  w->inner.ops->iter_close(w->inner.self);
}

static void test_destination_fails(void **state) {
  (void)state;
  g_wrap_ops = (fixgw_store_ops_t){.size = sizeof g_wrap_ops, .name = "wrapped",
                                   .append = w_append, .get_seqnums = w_get_seqnums,
                                   .set_next_sender = w_set_next_sender,
                                   .set_next_target = w_set_next_target, .reset = w_reset,
                                   .creation_time = w_creation_time, .iter_open = w_iter_open,
                                   .iter_next = w_iter_next, .iter_close = w_iter_close};
  src_t s;
  good(&s, 5);
  fixgw_qf_import_config_t cfg;
  cfg_for(&cfg, s.dir);
  wrap_t w = {.fail_at = 3};
  mem_store(&w.inner);
  fixgw_store_t st = {&g_wrap_ops, &w};
  fixgw_qf_store_info_t in;
  fixgw_qf_import_error_t e;
  assert_int_equal(fixgw_qf_store_import(&cfg, &st, &in, &e), FIXGW_EFULL);
  assert_int_equal(e.code, FIXGW_EFULL);
  assert_int_equal(e.written, 1);
  assert_int_equal(e.seq, 3);
  assert_non_null(strstr(e.text, "append of seq 3"));
  assert_non_null(strstr(e.text, "partial import"));
  assert_int_equal(in.imported, 2);
  fixgw_store_destroy(&w.inner);

  /* QuickFIX still running: .seqnums moves during the copy. */
  char p[512];
  path_of(s.dir, PREFIX, "seqnums", p, sizeof p);
  wrap_t w2 = {.touch = p};
  mem_store(&w2.inner);
  st.self = &w2;
  assert_int_equal(fixgw_qf_store_import(&cfg, &st, &in, &e), FIXGW_ESTATE);
  assert_int_equal(e.written, 1);
  assert_non_null(strstr(e.text, "changed during the import"));
  assert_non_null(strstr(e.path, ".seqnums"));
  fixgw_store_destroy(&w2.inner);
}

static void test_config(void **state) {
  (void)state;
  src_t s;
  good(&s, 1);
  fixgw_store_t st;
  mem_store(&st);
  fixgw_qf_import_config_t cfg;
  fixgw_qf_import_error_t e;
  cfg_for(&cfg, s.dir);
  cfg.sender_comp_id = "SND";
  assert_int_equal(fixgw_qf_store_import(&cfg, &st, NULL, &e), FIXGW_EINVAL);
  assert_non_null(strstr(e.text, "not both"));
  cfg_for(&cfg, s.dir);
  cfg.prefix = "../x";
  assert_int_equal(fixgw_qf_store_import(&cfg, &st, NULL, &e), FIXGW_EINVAL);
  cfg.prefix = NULL;
  assert_int_equal(fixgw_qf_store_import(&cfg, &st, NULL, &e), FIXGW_EINVAL);
  cfg_for(&cfg, s.dir);
  cfg.size = 1;
  assert_int_equal(fixgw_qf_store_check(&cfg, NULL, &e), FIXGW_EINVAL);
  assert_int_equal(fixgw_qf_store_check(NULL, NULL, NULL), FIXGW_EINVAL);
  cfg_for(&cfg, s.dir);
  cfg.max_message_size = (size_t)1 << 24;
  assert_int_equal(fixgw_qf_store_check(&cfg, NULL, &e), FIXGW_EINVAL);
  assert_new(&st);
  fixgw_store_destroy(&st);
}

/* ------------------------------------------------ memory and allocation */

typedef struct counting {
  size_t live, peak;
  long allocs, fail_at; /* fail the fail_at-th allocation (1-based); 0: none */
} counting_t;

static void *c_alloc(size_t n, void *user) {
  counting_t *c = user;
  if (++c->allocs == c->fail_at) return NULL;
  size_t *p = malloc(n + sizeof(size_t) * 2);
  if (!p) return NULL;
  p[0] = n;
  c->live += n;
  if (c->live > c->peak) c->peak = c->live;
  return p + 2;
}

static void c_free(void *ptr, void *user) {
  counting_t *c = user;
  size_t *p = (size_t *)ptr - 2;
  c->live -= p[0];
  free(p);
}

/* A sparse 6 GiB .body with one message at its start and one at its end:
 * offsets past 4 GiB, and memory that is the largest message, not the
 * file. */
static void test_huge_sparse_body(void **state) {
  (void)state;
  src_t s;
  good(&s, 2);
  uint64_t at = ((uint64_t)6 << 30) - s.len[1];
  char p[512];
  path_of(s.dir, PREFIX, "body", p, sizeof p);
  int fd = open(p, O_RDWR);
  assert_true(fd >= 0);
  if (ftruncate(fd, (off_t)(at + s.len[1])) != 0) {
    close(fd);
    skip(); /* the file system takes no 6 GiB file */
  }
  assert_int_equal(pwrite(fd, s.msg[1], s.len[1], (off_t)at), (ssize_t)s.len[1]);
  close(fd);
  char h[128];
  snprintf(h, sizeof h, "1,0,%zu 2,%" PRIu64 ",%zu ", s.len[0], at, s.len[1]);
  put_s(s.dir, "header", h);
  counting_t c = {0};
  fixgw_allocator_t a = {c_alloc, c_free, &c};
  fixgw_qf_import_config_t cfg;
  cfg_for(&cfg, s.dir);
  cfg.allocator = &a;
  fixgw_store_t st;
  mem_store(&st);
  fixgw_qf_store_info_t in;
  fixgw_qf_import_error_t e;
  int rc = fixgw_qf_store_import(&cfg, &st, &in, &e);
  if (rc) fail_msg("%s", e.text);
  const int all[] = {0, 1};
  assert_holds(&st, &s, all, 2);
  assert_int_equal(in.body_bytes, at + s.len[1]);
  assert_int_equal(c.live, 0);
  assert_true(c.peak < 64 * 1024);
  fixgw_store_destroy(&st);
}

/* 100 000 entries, ascending: streamed, no index; then the same entries
 * with one number stored twice: the index, 24 bytes per entry. */
static void test_large_header(void **state) {
  (void)state;
  char dir[256];
  new_dir(dir, sizeof dir);
  enum { N = 100000 };
  char p[512];
  path_of(dir, PREFIX, "body", p, sizeof p);
  FILE *b = fopen(p, "wb");
  path_of(dir, PREFIX, "header", p, sizeof p);
  FILE *h = fopen(p, "wb");
  assert_non_null(b);
  assert_non_null(h);
  uint64_t off = 0;
  char m[600];
  for (int i = 1; i <= N; i++) {
    size_t n = fixmsg(m, sizeof m, (uint64_t)i, "X");
    fwrite(m, 1, n, b);
    fprintf(h, "%d,%" PRIu64 ",%zu ", i, off, n);
    off += n;
  }
  fclose(b);
  fclose(h);
  put_s(dir, "seqnums", "00000000000000100001 : 00000000000000000001");
  put_s(dir, "session", "20240102-03:04:05");
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) { /* seq 1 stored again at the end */
      size_t n = fixmsg(m, sizeof m, 1, "AGAIN");
      path_of(dir, PREFIX, "body", p, sizeof p);
      b = fopen(p, "ab");
      fwrite(m, 1, n, b);
      fclose(b);
      path_of(dir, PREFIX, "header", p, sizeof p);
      h = fopen(p, "ab");
      fprintf(h, "1,%" PRIu64 ",%zu ", off, n);
      fclose(h);
    }
    counting_t c = {0};
    fixgw_allocator_t a = {c_alloc, c_free, &c};
    fixgw_qf_import_config_t cfg;
    cfg_for(&cfg, dir);
    cfg.allocator = &a;
    fixgw_store_t st;
    mem_store_sized(&st, 1u << 17, (size_t)32 << 20);
    fixgw_qf_store_info_t in;
    fixgw_qf_import_error_t e;
    int rc = fixgw_qf_store_import(&cfg, &st, &in, &e);
    if (rc) fail_msg("%s", e.text);
    assert_int_equal(in.imported, N);
    assert_int_equal(in.superseded, pass);
    assert_int_equal(c.live, 0);
    if (pass == 0) assert_true(c.peak < 64 * 1024);
    else assert_true(c.peak < 64 * 1024 + (size_t)(N + 1) * 24);
    if (pass == 1) assert_true(c.peak > (size_t)(N + 1) * 24);
    uint64_t seq;
    const char *msg;
    size_t len;
    assert_int_equal(st.ops->iter_open(st.self, 1, 1), 0);
    assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
    assert_int_equal(memmem(msg, len, "11=AGAIN\x01", 9) != NULL, pass);
    st.ops->iter_close(st.self);
    uint64_t ns, nt;
    assert_int_equal(st.ops->get_seqnums(st.self, &ns, &nt), 0);
    assert_int_equal(ns, N + 1);
    fixgw_store_destroy(&st);
  }
}

/* Each allocation failing in turn: FIXGW_ENOMEM, nothing leaked, the
 * destination still new. Both the streamed and the indexed path. */
static void test_alloc_failure(void **state) {
  (void)state;
  for (int renumbered = 0; renumbered < 2; renumbered++) {
    src_t s;
    good(&s, 3);
    if (renumbered) {
      char h[128];
      snprintf(h, sizeof h, "2,0,%zu 1,%zu,%zu ", s.len[0], s.len[0], s.len[1]);
      put_s(s.dir, "header", h);
    }
    for (long k = 1;; k++) {
      counting_t c = {.fail_at = k};
      fixgw_allocator_t a = {c_alloc, c_free, &c};
      fixgw_qf_import_config_t cfg;
      cfg_for(&cfg, s.dir);
      cfg.allocator = &a;
      fixgw_store_t st;
      mem_store(&st);
      fixgw_qf_import_error_t e;
      int rc = fixgw_qf_store_import(&cfg, &st, NULL, &e);
      assert_int_equal(c.live, 0);
      if (rc == 0) {
        assert_true(k > 1);
        fixgw_store_destroy(&st);
        break;
      }
      assert_int_equal(rc, FIXGW_ENOMEM);
      assert_int_equal(e.code, FIXGW_ENOMEM);
      assert_new(&st);
      fixgw_store_destroy(&st);
      assert_true(k < 10);
    }
  }
}

int main(void) {
  snprintf(g_root, sizeof g_root, "/tmp/fixgw-qfimport-XXXXXX");
  if (!mkdtemp(g_root)) {
    perror("mkdtemp");
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_import_memory),     cmocka_unit_test(test_import_file_store),
      cmocka_unit_test(test_numbers_only),      cmocka_unit_test(test_renumbered_header),
      cmocka_unit_test(test_stopped_mid_send),
      cmocka_unit_test(test_missing_files),     cmocka_unit_test(test_bad_header),
      cmocka_unit_test(test_bad_seqnums),       cmocka_unit_test(test_bad_session),
      cmocka_unit_test(test_destination_not_new), cmocka_unit_test(test_destination_fails),
      cmocka_unit_test(test_config),            cmocka_unit_test(test_huge_sparse_body),
      cmocka_unit_test(test_large_header),      cmocka_unit_test(test_alloc_failure),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  nftw(g_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  return rc;
}
