/* fixgw-qf-import: bring one session's QuickFIX FileStore into a libfixgw
 * file store, keeping its sequence numbers, its creation time and the
 * messages QuickFIX sent (so resend requests for them are still
 * answered). Stop QuickFIX first. Everything in the QuickFIX files is
 * checked before the file store is created; a failure leaves no store
 * behind. See include/fixgw/store_import.h for what is read and checked.
 *
 * Exit status: 0 imported (or, with --check, checked), 1 the QuickFIX
 * store is bad, the destination exists or the import failed, 2 usage. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixgw/codec.h"
#include "fixgw/store_file.h"
#include "fixgw/store_import.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: fixgw-qf-import [options] (--prefix P | --begin B --sender S --target T\n"
          "                       [--qualifier Q]) QF_DIR DEST_DIR\n"
          "Import one session's QuickFIX FileStore (P.body, P.header, P.seqnums and\n"
          "P.session in QF_DIR, QuickFIX's FileStorePath) into a new libfixgw file\n"
          "store in DEST_DIR (which must exist). Stop QuickFIX first.\n"
          "  --prefix P      QuickFIX's file name prefix, e.g. FIX.4.4-CLIENT-SERVER\n"
          "  --begin B       or its parts: BeginString, SenderCompID, TargetCompID\n"
          "  --sender S        and SessionQualifier, joined as QuickFIX joins them\n"
          "  --target T        (B-S-T or B-S-T-Q)\n"
          "  --qualifier Q\n"
          "  --key K         the file store's key (default: the prefix with bytes other\n"
          "                  than [A-Za-z0-9._-] as '_', the key fixgw-executor and\n"
          "                  fixgw-client open in their FileStorePath)\n"
          "  --check         read and check the QuickFIX store only; write nothing\n"
          "  --max-message-size N\n"
          "                  refuse messages longer than N bytes (default 16777215)\n"
          "  -h, --help      this text\n"
          "Prints what it imported: the messages, the next sender and target numbers\n"
          "and the creation time. Exit 0 done, 1 failed (nothing left behind), 2 usage.\n");
}

static void print_info(const char *verb, const char *what, const fixgw_qf_store_info_t *in) {
  char t[FIXGW_TIMESTAMP_STRLEN];
  /* QuickFIX 1.15 keeps whole seconds; a fraction is shown if there. */
  fixgw_ts_precision prec = in->creation_utc_ns % 1000000000 == 0 ? FIXGW_TS_SECONDS
                                                                   : FIXGW_TS_NANOS;
  if (fixgw_timestamp_format(in->creation_utc_ns, prec, t, sizeof t) < 0)
    snprintf(t, sizeof t, "?");
  printf("%s %s\n", verb, what);
  printf("messages      %" PRIu64, in->messages);
  if (in->messages)
    printf(" (seq %" PRIu64 "..%" PRIu64 ", %" PRIu64 " bytes, longest %zu)", in->first_seq,
           in->last_seq, in->message_bytes, in->max_message_len);
  printf("\n");
  printf("header        %" PRIu64 " entries, %" PRIu64 " superseded, %" PRIu64
         " at or above the next sender number (not imported)\n",
         in->entries, in->superseded, in->stale);
  printf("next sender   %" PRIu64 "\n", in->next_sender);
  printf("next target   %" PRIu64 "\n", in->next_target);
  printf("creation time %s UTC\n", t);
}

static int exists(const char *dir, const char *key, const char *suffix, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s%s", dir, key, suffix);
  return access(out, F_OK) == 0;
}

int main(int argc, char **argv) {
  fixgw_qf_import_config_t cfg;
  fixgw_qf_import_config_default(&cfg);
  const char *key = NULL, *pos[2] = {NULL, NULL};
  int check_only = 0, npos = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "--check")) {
      check_only = 1;
      continue;
    } else if (!strcmp(a, "--prefix")) slot = &cfg.prefix;
    else if (!strcmp(a, "--begin")) slot = &cfg.begin_string;
    else if (!strcmp(a, "--sender")) slot = &cfg.sender_comp_id;
    else if (!strcmp(a, "--target")) slot = &cfg.target_comp_id;
    else if (!strcmp(a, "--qualifier")) slot = &cfg.qualifier;
    else if (!strcmp(a, "--key")) slot = &key;
    else if (!strcmp(a, "--max-message-size")) {
      char *end;
      errno = 0;
      unsigned long long v = i + 1 < argc ? strtoull(argv[i + 1], &end, 10) : 0;
      if (i + 1 >= argc || errno || *end || v == 0 || v > 16777215) {
        fprintf(stderr, "fixgw-qf-import: --max-message-size wants 1..16777215\n");
        return 2;
      }
      cfg.max_message_size = (size_t)v;
      i++;
      continue;
    } else if (a[0] == '-') {
      fprintf(stderr, "fixgw-qf-import: unknown option %s\n", a);
      usage(stderr);
      return 2;
    } else {
      if (npos == 2) {
        fprintf(stderr, "fixgw-qf-import: more than QF_DIR and DEST_DIR given\n");
        return 2;
      }
      pos[npos++] = a;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "fixgw-qf-import: %s wants a value\n", a);
      return 2;
    }
    *slot = argv[++i];
  }
  int parts = cfg.begin_string || cfg.sender_comp_id || cfg.target_comp_id || cfg.qualifier;
  if (npos != (check_only ? 1 : 2) && !(check_only && npos == 2)) {
    usage(stderr);
    return 2;
  }
  if (!cfg.prefix == !parts ||
      (parts && !(cfg.begin_string && cfg.sender_comp_id && cfg.target_comp_id))) {
    fprintf(stderr, "fixgw-qf-import: give --prefix, or --begin, --sender and --target\n");
    return 2;
  }
  cfg.directory = pos[0];
  char prefix[1024];
  if (cfg.prefix) snprintf(prefix, sizeof prefix, "%s", cfg.prefix);
  else
    snprintf(prefix, sizeof prefix, "%s-%s-%s%s%s", cfg.begin_string, cfg.sender_comp_id,
             cfg.target_comp_id, cfg.qualifier && *cfg.qualifier ? "-" : "",
             cfg.qualifier ? cfg.qualifier : "");
  char what[2048];
  snprintf(what, sizeof what, "%s/%s.{body,header,seqnums,session}", pos[0], prefix);

  fixgw_qf_store_info_t in;
  fixgw_qf_import_error_t e;
  if (fixgw_qf_store_check(&cfg, &in, &e) != 0) {
    fprintf(stderr, "fixgw-qf-import: %s (%s)\n", e.text, fixgw_err_name(e.code));
    return 1;
  }
  if (check_only) {
    print_info("checked", what, &in);
    return 0;
  }

  /* A new store only: never touch one that is there, so a failure can
   * remove what this run created and nothing else. */
  /* The key fixgw-executor and fixgw-client open for the session
   * (examples/executor/host.c): the prefix, other bytes as '_'. */
  char defkey[1024];
  if (!key) {
    snprintf(defkey, sizeof defkey, "%s", prefix);
    for (char *p = defkey; *p; p++) {
      char c = *p;
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_' || c == '-'))
        *p = '_';
    }
    key = defkey;
  }
  const char *dst = pos[1];
  char lock[4096], logp[4096];
  if (exists(dst, key, ".lock", lock, sizeof lock) || exists(dst, key, ".log", logp, sizeof logp)) {
    fprintf(stderr, "fixgw-qf-import: a store %s/%s is already there (%s): import only into "
                    "a new store\n",
            dst, key, access(lock, F_OK) == 0 ? lock : logp);
    return 1;
  }
  fixgw_file_store_config_t fc;
  fixgw_file_store_config_default(&fc);
  fc.directory = dst;
  fc.key = key;
  /* No sync per record: the import flushes (fsyncs) once at its end. */
  fc.sync = FIXGW_FILE_SYNC_OS;
  fc.now_utc_ns = in.creation_utc_ns;
  if (in.max_message_len > fc.max_message_size) fc.max_message_size = in.max_message_len;
  if (in.messages >= fc.max_messages) fc.max_messages = (uint32_t)(in.messages + 1);
  fixgw_store_t st;
  fixgw_file_store_error_t fe;
  int rc = fixgw_file_store_open(&fc, &st, &fe);
  if (rc) {
    fprintf(stderr, "fixgw-qf-import: %s (%s)%s\n", fe.text, fixgw_err_name(rc),
            rc == FIXGW_EINVAL ? "; --key takes 1..128 bytes of [A-Za-z0-9._-]" : "");
    if (rc != FIXGW_EPERM) {
      unlink(logp);
      unlink(lock);
    }
    return 1;
  }
  rc = fixgw_qf_store_import(&cfg, &st, &in, &e);
  if (rc) {
    fprintf(stderr, "fixgw-qf-import: %s (%s)\n", e.text, fixgw_err_name(rc));
    fixgw_file_store_error_t le;
    if (e.written && fixgw_file_store_last_error(&st, &le) == 0 && le.code)
      fprintf(stderr, "fixgw-qf-import: file store: %s\n", le.text);
    fixgw_store_destroy(&st);
    unlink(logp);
    unlink(lock);
    fprintf(stderr, "fixgw-qf-import: nothing imported; %s removed\n", logp);
    return 1;
  }
  fixgw_store_destroy(&st);
  char into[8192];
  snprintf(into, sizeof into, "%s\ninto          %s", what, logp);
  print_info("imported", into, &in);
  if (!in.creation_kept) printf("warning: the file store did not keep the creation time\n");
  /* A store holding longer or more messages than the defaults does not
   * open with them (FIXGW_ETOOBIG, FIXGW_EFULL). */
  if (fc.max_message_size > 65536)
    printf("note: open this store with max_message_size >= %zu (its longest message)\n",
           fc.max_message_size);
  if (fc.max_messages > (1u << 20))
    printf("note: open this store with max_messages >= %" PRIu32 "\n", fc.max_messages);
  return 0;
}
