/* fixgw-dump: pretty-print FIX messages from files, logs or stdin.
 *
 *   fixgw-dump [--dict FILE.xml] [--type MSGTYPE]... [--tag N]...
 *              [--no-validate] [FILE|-]...
 *
 * Finds every "8=FIX" in the input, so SOH-delimited streams, the
 * '|'-delimited form people paste and log lines with a timestamp (or any
 * prefix) before the message all work. Each message is a block: a title
 * with its MsgType name and verdict, then one line per field,
 *   tag (Name) = value (enum meaning)
 * with repeating-group entries indented, and parse errors or validation
 * failures flagged on the field they concern. Dictionaries: the built-in
 * ones by BeginString (FIXT.1.1: FIXT11 + the ApplVerID's, default
 * FIX50SP2), or --dict for a custom one (loaded at run time; for FIXT
 * messages it is the application dictionary). Exit status: 0 if every
 * message parsed and validated, 1 otherwise, 2 on usage or I/O errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/dict.h"
#include "fixgw/validate.h"

#define MAX_FILTER 32

typedef struct opts {
  const char *types[MAX_FILTER];
  int ntypes;
  uint32_t tags[MAX_FILTER];
  int ntags;
  int validate;
  fixgw_dict_t *custom;
} opts_t;

typedef struct dumper {
  opts_t o;
  fixgw_parser_t parser;
  fixgw_validator_t val[FIXGW_DICT_COUNT_]; /* by BeginString's version */
  int val_ok[FIXGW_DICT_COUNT_];
  char *scratch;
  size_t scratch_cap;
  unsigned long count, bad;
} dumper_t;

static void usage(FILE *f) {
  fprintf(f,
          "usage: fixgw-dump [--dict FILE.xml] [--type MSGTYPE]... [--tag N]...\n"
          "                  [--no-validate] [FILE|-]...\n"
          "  --dict FILE    QuickFIX-format XML dictionary to use instead of the\n"
          "                 built-in one (the application dictionary for FIXT)\n"
          "  --type T       only messages with MsgType T (repeatable)\n"
          "  --tag N        only fields with tag N (repeatable)\n"
          "  --no-validate  parse and print only\n");
}

static fixgw_validator_t *validator_for(dumper_t *dp, fixgw_dict_version v) {
  if (v <= FIXGW_DICT_UNKNOWN || v >= FIXGW_DICT_COUNT_) return NULL;
  if (dp->val_ok[v]) return dp->val_ok[v] > 0 ? &dp->val[v] : NULL;
  fixgw_validator_config_t cfg;
  if (v == FIXGW_DICT_FIXT11) {
    fixgw_validator_config_default(&cfg, fixgw_dict_fixt11());
    for (int k = FIXGW_DICT_FIX40; k <= FIXGW_DICT_FIX50SP2; k++) cfg.app[k] = fixgw_dict_by_version((fixgw_dict_version)k);
    if (dp->o.custom && !dp->o.custom->transport) {
      fixgw_dict_version av = FIXGW_DICT_FIX50SP2;
      if (dp->o.custom->major == 4) av = (fixgw_dict_version)(FIXGW_DICT_FIX40 + dp->o.custom->minor);
      cfg.app[av] = dp->o.custom;
    }
    cfg.default_appl_ver = FIXGW_DICT_FIX50SP2;
  } else {
    const fixgw_dict_t *d = fixgw_dict_by_version(v);
    if (dp->o.custom && dp->o.custom->major == 4 &&
        FIXGW_DICT_FIX40 + dp->o.custom->minor == (int)v)
      d = dp->o.custom;
    fixgw_validator_config_default(&cfg, d);
  }
  dp->val_ok[v] = fixgw_validator_init(&dp->val[v], &cfg) == 0 ? 1 : -1;
  return dp->val_ok[v] > 0 ? &dp->val[v] : NULL;
}

/* The dictionaries that name a message's fields: the application one
 * first (for FIXT), then the session one. */
static void dicts_for(dumper_t *dp, const char *bs, size_t n, const fixgw_msg_t *m,
                      const fixgw_dict_t **app, const fixgw_dict_t **ses) {
  fixgw_dict_version v = fixgw_dict_version_from_begin_string(bs, n);
  *ses = fixgw_dict_by_version(v);
  *app = *ses;
  if (v != FIXGW_DICT_FIXT11) {
    if (dp->o.custom && dp->o.custom->major == 4 && FIXGW_DICT_FIX40 + dp->o.custom->minor == (int)v)
      *app = *ses = dp->o.custom;
    return;
  }
  fixgw_dict_version av = FIXGW_DICT_FIX50SP2;
  if (m) {
    const fixgw_field_t *f = fixgw_msg_find(m, 1128);
    if (f) {
      fixgw_dict_version x = fixgw_dict_version_from_appl_ver_id(f->val, f->len);
      if (x != FIXGW_DICT_UNKNOWN) av = x;
    }
  }
  *app = dp->o.custom && !dp->o.custom->transport ? dp->o.custom : fixgw_dict_by_version(av);
}

static int want_tag(const opts_t *o, uint32_t tag) {
  if (o->ntags == 0) return 1;
  for (int k = 0; k < o->ntags; k++)
    if (o->tags[k] == tag) return 1;
  return 0;
}

static void print_field(const fixgw_dict_t *app, const fixgw_dict_t *ses, uint32_t tag,
                        const char *val, size_t len, int indent, const char *note) {
  const fixgw_dict_t *d = app;
  const fixgw_dict_field_t *fd = app ? fixgw_dict_field(app, tag) : NULL;
  if (!fd && ses) {
    d = ses;
    fd = fixgw_dict_field(ses, tag);
  }
  printf("%*s%u (%s) = ", 2 + 2 * indent, "", tag, fd ? fixgw_dict_str(d, fd->name) : "?");
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)val[i];
    if (c >= 0x20 && c < 0x7F) putchar(c);
    else printf("\\x%02X", c);
  }
  const fixgw_dict_value_t *ev = fd ? fixgw_dict_value(d, fd, val, len) : NULL;
  if (ev && fixgw_dict_str(d, ev->desc)[0]) printf(" (%s)", fixgw_dict_str(d, ev->desc));
  if (note) printf("   <-- %s", note);
  putchar('\n');
}

/* Print m's fields, groups indented: a stack of the group scopes open. */
static void print_fields(dumper_t *dp, const fixgw_msg_t *m, const fixgw_dict_t *app,
                         const fixgw_dict_t *ses, uint32_t bad_index, const char *note) {
  const fixgw_dict_msg_t *dm = app ? fixgw_dict_msg(app, m->msgtype.ptr, m->msgtype.len) : NULL;
  uint32_t stack[FIXGW_DICT_MAX_DEPTH];
  int depth = 0;
  for (uint32_t i = 0; i < m->nfields; i++) {
    const fixgw_field_t *f = &m->fields[i];
    int entry_start = 0;
    while (depth > 0) {
      const fixgw_dict_scope_t *gs = &app->scopes[stack[depth - 1]];
      if (f->tag == app->layouts[stack[depth - 1]].delim_tag) {
        entry_start = 1;
        break;
      }
      if (fixgw_dict_scope_member(app, gs, f->tag)) break;
      depth--;
    }
    if (entry_start && want_tag(&dp->o, f->tag)) printf("%*s-\n", 2 + 2 * (depth - 1) + 1, "");
    if (want_tag(&dp->o, f->tag) || i == bad_index)
      print_field(app, ses, f->tag, f->val, f->len, depth, i == bad_index ? note : NULL);
    /* A count tag of the scope we are in opens its group. */
    const fixgw_dict_member_t *mb = NULL;
    if (app && depth > 0) mb = fixgw_dict_scope_member(app, &app->scopes[stack[depth - 1]], f->tag);
    else if (app && dm) mb = fixgw_dict_scope_member(app, &app->scopes[dm->body], f->tag);
    if (mb && (mb->flags & FIXGW_DICT_M_GROUP) && depth < (int)FIXGW_DICT_MAX_DEPTH)
      stack[depth++] = mb->group;
  }
  if (bad_index >= m->nfields && note) printf("  <-- %s\n", note);
}

/* Fields of bytes the parser refused, split leniently on SOH. */
static void print_raw(dumper_t *dp, const char *b, size_t n, size_t err_off, const char *note) {
  const fixgw_dict_t *app, *ses;
  dicts_for(dp, b + 2, strcspn(b + 2, "\001"), NULL, &app, &ses);
  size_t i = 0;
  int flagged = 0;
  while (i < n) {
    size_t e = i;
    while (e < n && b[e] != '\001') e++;
    const char *eq = memchr(b + i, '=', e - i);
    uint32_t tag = 0;
    int ok = eq && eq > b + i;
    for (const char *p = b + i; ok && p < eq; p++) {
      if (*p < '0' || *p > '9' || tag > 99999999u) ok = 0;
      else tag = tag * 10 + (uint32_t)(*p - '0');
    }
    int here = !flagged && err_off < e + 1 && err_off >= i;
    if (here) flagged = 1;
    if (ok && (want_tag(&dp->o, tag) || here))
      print_field(app, ses, tag, eq + 1, (size_t)(b + e - eq - 1), 0, here ? note : NULL);
    else if (!ok)
      printf("  %.*s   <-- %s\n", (int)(e - i), b + i, here ? note : "not a tag=value field");
    i = e + 1;
  }
  if (!flagged) printf("  <-- %s\n", note);
}

static int want_type(const opts_t *o, const char *s, size_t n) {
  if (o->ntypes == 0) return 1;
  for (int k = 0; k < o->ntypes; k++)
    if (strlen(o->types[k]) == n && memcmp(o->types[k], s, n) == 0) return 1;
  return 0;
}

/* One candidate message at in[0..n) (n up to the end of its line or of
 * the next "8=FIX"): normalise the delimiter, parse, validate, print. */
static void dump_one(dumper_t *dp, const char *in, size_t n, unsigned long line) {
  /* The delimiter is whatever follows BeginString's value. */
  size_t k = 2;
  while (k < n && in[k] != '\001' && in[k] != '|') k++;
  char delim = k < n ? in[k] : '\001';
  if (n + 1 > dp->scratch_cap) {
    char *s = realloc(dp->scratch, n + 1);
    if (!s) return;
    dp->scratch = s;
    dp->scratch_cap = n + 1;
  }
  char *b = dp->scratch;
  for (size_t i = 0; i < n; i++) b[i] = delim == '|' && in[i] == '|' ? '\001' : in[i];
  /* Stop after the CheckSum field, when there is one. */
  for (size_t i = 0; i + 7 <= n; i++)
    if ((i == 0 || b[i - 1] == '\001') && memcmp(b + i, "10=", 3) == 0) {
      size_t e = i + 3;
      while (e < n && b[e] != '\001' && b[e] != '\n' && b[e] != '\r') e++;
      n = e < n && b[e] == '\001' ? e + 1 : e;
      break;
    }
  while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r' || b[n - 1] == ' ')) n--;
  b[n] = 0;

  fixgw_msg_t m;
  fixgw_parse_error_t pe;
  size_t used;
  fixgw_parser_reset(&dp->parser);
  int rc = fixgw_parse(&dp->parser, b, n, &used, &m, &pe);
  dp->count++;
  if (rc != 0) {
    /* Type filter on the raw bytes. */
    const char *mt = strstr(b, "\00135=");
    size_t mtl = mt ? strcspn(mt + 4, "\001") : 0;
    if (mt && !want_type(&dp->o, mt + 4, mtl)) return;
    dp->bad++;
    char note[160];
    if (rc == FIXGW_EAGAIN) snprintf(note, sizeof note, "parse error: message truncated");
    else snprintf(note, sizeof note, "parse error: %s (%s)%s", fixgw_strerror(pe.code),
                  fixgw_err_name(pe.code), pe.tag ? " on this field" : "");
    printf("=== message %lu (line %lu): %.*s, unparsed\n", dp->count, line, mt ? (int)mtl : 1,
           mt ? mt + 4 : "?");
    print_raw(dp, b, n, rc == FIXGW_EAGAIN ? n : pe.offset, note);
    return;
  }
  if (!want_type(&dp->o, m.msgtype.ptr, m.msgtype.len)) return;
  const fixgw_dict_t *app, *ses;
  dicts_for(dp, m.fields[0].val, m.fields[0].len, &m, &app, &ses);
  const fixgw_dict_msg_t *dm = app ? fixgw_dict_msg(app, m.msgtype.ptr, m.msgtype.len) : NULL;
  if (!dm && ses) dm = fixgw_dict_msg(ses, m.msgtype.ptr, m.msgtype.len);
  const char *mname = dm ? fixgw_dict_str(dm == (app ? fixgw_dict_msg(app, m.msgtype.ptr, m.msgtype.len) : NULL) ? app : ses, dm->name) : "unknown";
  char verdict[200] = "not validated";
  char note[200] = "";
  uint32_t bad_index = UINT32_MAX;
  if (dp->o.validate) {
    fixgw_validator_t *v = validator_for(
        dp, fixgw_dict_version_from_begin_string(m.fields[0].val, m.fields[0].len));
    fixgw_reject_t rej;
    int vr = v ? fixgw_validate(v, &m, &rej) : FIXGW_ENODICT;
    if (vr == 0) {
      snprintf(verdict, sizeof verdict, "valid");
    } else if (vr == FIXGW_EREJECT || rej.reason >= 0) {
      dp->bad++;
      snprintf(verdict, sizeof verdict, "REJECT %d %s, tag %u", rej.reason,
               fixgw_reject_reason_text(rej.reason), rej.ref_tag);
      snprintf(note, sizeof note, "reject %d: %s", rej.reason, fixgw_reject_reason_text(rej.reason));
      if (rej.reason == FIXGW_SRR_REQUIRED_TAG_MISSING)
        snprintf(note, sizeof note, "reject 1: required tag %u missing", rej.ref_tag);
      bad_index = rej.field_index;
    } else {
      dp->bad++;
      snprintf(verdict, sizeof verdict, "not judged: %s", fixgw_strerror(vr));
    }
  }
  printf("=== message %lu (line %lu): %.*s %.*s %s, %u fields: %s\n", dp->count, line,
         (int)m.fields[0].len, m.fields[0].val, (int)m.msgtype.len, m.msgtype.ptr, mname,
         m.nfields, verdict);
  print_fields(dp, &m, app, ses, bad_index, note[0] ? note : NULL);
}

static void dump_buffer(dumper_t *dp, const char *buf, size_t len) {
  size_t i = 0;
  unsigned long line = 1;
  const char *p;
  while (i < len && (p = memmem(buf + i, len - i, "8=FIX", 5)) != NULL) {
    size_t s = (size_t)(p - buf);
    for (size_t j = i; j < s; j++) line += buf[j] == '\n';
    /* Up to the end of the line or the next message, whichever is first. */
    size_t e = s + 5;
    while (e < len && buf[e] != '\n') {
      if (buf[e] == '8' && e + 5 <= len && memcmp(buf + e, "8=FIX", 5) == 0 &&
          (buf[e - 1] == '\001' || buf[e - 1] == '|'))
        break;
      e++;
    }
    dump_one(dp, buf + s, e - s, line);
    i = e;
  }
}

static int read_all(FILE *f, char **out, size_t *len) {
  size_t cap = 65536, n = 0;
  char *b = malloc(cap);
  if (!b) return -1;
  for (;;) {
    if (n == cap) {
      char *nb = realloc(b, cap * 2);
      if (!nb) {
        free(b);
        return -1;
      }
      b = nb;
      cap *= 2;
    }
    size_t r = fread(b + n, 1, cap - n, f);
    n += r;
    if (r == 0) break;
  }
  if (ferror(f)) {
    free(b);
    return -1;
  }
  *out = b;
  *len = n;
  return 0;
}

int main(int argc, char **argv) {
  dumper_t dp;
  memset(&dp, 0, sizeof dp);
  dp.o.validate = 1;
  const char *files[256];
  int nfiles = 0;
  for (int a = 1; a < argc; a++) {
    const char *s = argv[a];
    if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(s, "--no-validate")) {
      dp.o.validate = 0;
    } else if ((!strcmp(s, "--type") || !strcmp(s, "--tag") || !strcmp(s, "--dict")) && a + 1 < argc) {
      const char *v = argv[++a];
      if (!strcmp(s, "--type") && dp.o.ntypes < MAX_FILTER) {
        dp.o.types[dp.o.ntypes++] = v;
      } else if (!strcmp(s, "--tag") && dp.o.ntags < MAX_FILTER) {
        char *end;
        unsigned long t = strtoul(v, &end, 10);
        if (*end || t == 0 || t > FIXGW_TAG_MAX) {
          fprintf(stderr, "fixgw-dump: bad tag '%s'\n", v);
          return 2;
        }
        dp.o.tags[dp.o.ntags++] = (uint32_t)t;
      } else if (!strcmp(s, "--dict")) {
        fixgw_dict_error_t de;
        if (fixgw_dict_load_file(v, NULL, &dp.o.custom, &de) != 0) {
          char msg[512];
          fixgw_dict_error_format(&de, msg, sizeof msg);
          fprintf(stderr, "fixgw-dump: %s\n", msg);
          return 2;
        }
      } else {
        usage(stderr);
        return 2;
      }
    } else if (s[0] == '-' && s[1]) {
      usage(stderr);
      return 2;
    } else if (nfiles < 256) {
      files[nfiles++] = s;
    }
  }
  if (nfiles == 0) files[nfiles++] = "-";
  fixgw_parser_config_t pc;
  fixgw_parser_config_default(&pc);
  pc.max_fields = 32767;
  pc.max_msg_size = 1u << 24;
  if (fixgw_parser_init(&dp.parser, &pc) != 0) return 2;
  int status = 0;
  for (int k = 0; k < nfiles; k++) {
    FILE *f = strcmp(files[k], "-") ? fopen(files[k], "rb") : stdin;
    char *buf;
    size_t len;
    if (!f || read_all(f, &buf, &len) != 0) {
      fprintf(stderr, "fixgw-dump: %s: %s\n", files[k], strerror(errno));
      status = 2;
      if (f && f != stdin) fclose(f);
      continue;
    }
    if (f != stdin) fclose(f);
    dump_buffer(&dp, buf, len);
    free(buf);
  }
  fprintf(stderr, "fixgw-dump: %lu messages, %lu with errors\n", dp.count, dp.bad);
  for (int v = 0; v < FIXGW_DICT_COUNT_; v++)
    if (dp.val_ok[v] > 0) fixgw_validator_destroy(&dp.val[v]);
  fixgw_parser_destroy(&dp.parser);
  fixgw_dict_free(dp.o.custom);
  free(dp.scratch);
  return status ? status : dp.bad ? 1 : 0;
}
