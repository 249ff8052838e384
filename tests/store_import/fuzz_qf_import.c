/* Fuzz target for the QuickFIX FileStore import: the input is the four
 * files, .header, .seqnums, .session and .body, in that order, separated
 * by the two bytes FF FE (a missing part is a missing file). Whatever they
 * hold: the check and the import agree, a success leaves the store with
 * QuickFIX's numbers and exactly the messages counted, a failure before
 * writing leaves it new, and nothing is read out of bounds or leaked. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixgw/store.h"
#include "fixgw/store_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_dir[64];

static void put(const char *ext, const uint8_t *b, size_t n, int present) {
  char p[128];
  snprintf(p, sizeof p, "%s/F.%s", g_dir, ext);
  unlink(p);
  if (!present) return;
  FILE *f = fopen(p, "wb");
  if (!f) abort();
  if (n && fwrite(b, 1, n, f) != n) abort();
  fclose(f);
}

static const char *const ext[4] = {"header", "seqnums", "session", "body"};

static void cleanup(void) {
  for (int k = 0; k < 4; k++) put(ext[k], NULL, 0, 0);
  rmdir(g_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_dir[0]) {
    snprintf(g_dir, sizeof g_dir, "/tmp/fixgw-fuzz-qf-XXXXXX");
    if (!mkdtemp(g_dir)) abort();
    atexit(cleanup);
  }
  size_t at = 0;
  for (int k = 0; k < 4; k++) {
    if (at > size) { /* fewer parts than files */
      put(ext[k], NULL, 0, 0);
      continue;
    }
    const uint8_t *sep = NULL;
    for (size_t i = at; i + 1 < size; i++)
      if (data[i] == 0xff && data[i + 1] == 0xfe) {
        sep = data + i;
        break;
      }
    size_t end = sep ? (size_t)(sep - data) : size;
    put(ext[k], data + at, end - at, 1);
    at = sep ? end + 2 : size + 1;
  }

  fixgw_qf_import_config_t cfg;
  fixgw_qf_import_config_default(&cfg);
  cfg.directory = g_dir;
  cfg.prefix = "F";
  cfg.max_message_size = 4096;
  cfg.max_index_entries = 1024;
  fixgw_qf_store_info_t ci, ii;
  fixgw_qf_import_error_t e;
  int crc = fixgw_qf_store_check(&cfg, &ci, &e);
  if (crc && (e.code != crc || !e.text[0])) abort();

  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  mc.max_messages = 2048;
  mc.max_bytes = 64 * 1024; /* inputs are a few KiB */
  mc.now_utc_ns = 7;
  mc.policy = FIXGW_MEM_STORE_REFUSE; /* never a silent eviction */
  fixgw_store_t st;
  if (fixgw_mem_store_create(&mc, &st)) abort();
  int irc = fixgw_qf_store_import(&cfg, &st, &ii, &e);
  uint64_t ns, nt;
  if (st.ops->get_seqnums(st.self, &ns, &nt)) abort();
  if (crc == 0) {
    /* The files are good: only the destination could refuse. */
    if (irc == 0) {
      if (ns != ci.next_sender || nt != ci.next_target) abort();
      if (ii.imported != ci.messages || ii.messages != ci.messages) abort();
      uint64_t seq, n = 0, bytes = 0, last = 0;
      const char *m;
      size_t len;
      if (st.ops->iter_open(st.self, 1, UINT64_MAX)) abort();
      while (st.ops->iter_next(st.self, &seq, &m, &len) == 0) {
        if (seq <= last || seq >= ns || len < 2 || m[0] != '8') abort();
        last = seq;
        n++;
        bytes += len;
      }
      st.ops->iter_close(st.self);
      if (n != ci.messages || bytes != ci.message_bytes) abort();
    } else if (!e.written) {
      abort();
    }
  } else {
    if (irc != crc || e.written) abort();
    if (ns != 1 || nt != 1) abort();
  }
  fixgw_store_destroy(&st);
  return 0;
}
