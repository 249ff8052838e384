/* libFuzzer target for the runtime dictionary loader.
 *
 * Input: XML as is when it starts with '<' (so plain XML files seed the
 * corpus); otherwise bytes 0-1 name an allocation to fail, as
 * (byte0 & 3) << 8 | byte1 (0: none, else 1..1023), and the rest is the
 * XML. Checked on every call:
 *   - a success is a self-consistent model (every index in range, every
 *     lookup finds what it should) and frees to zero live blocks;
 *   - a failure is a negative code with the same code and a message in the
 *     error struct, FIXGW_ENOMEM only when an allocation really failed, and
 *     leaves nothing allocated.
 * Built with FIXGW_DICT_FUZZ_STANDALONE, main() replays files instead, each
 * with no failure and with allocation 1..64 failing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dict_compare.h"
#include "fixgw/dict.h"

#define CHECK(x)       \
  do {                 \
    if (!(x)) abort(); \
  } while (0)

typedef struct falloc {
  long live, calls, fail_at;
  int failed;
} falloc;

static void *f_alloc(size_t n, void *user) {
  falloc *t = user;
  if (t->fail_at && ++t->calls == t->fail_at) {
    t->failed = 1;
    return NULL;
  }
  void *p = malloc(n);
  if (p) t->live++;
  return p;
}

static void f_free(void *p, void *user) {
  falloc *t = user;
  if (p) t->live--;
  free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  long fail_at = 0;
  size_t skip = 0;
  if (data[0] != '<') {
    fail_at = (long)((data[0] & 3u) << 8 | data[1]);
    skip = 2;
  }
  falloc t = {0, 0, fail_at, 0};
  fixgw_allocator_t a = {f_alloc, f_free, &t};
  fixgw_dict_t *d = NULL;
  fixgw_dict_error_t err;
  int rc = fixgw_dict_load_mem((const char *)data + skip, size - skip, "fuzz", &a, &d,
                               &err);
  if (rc == 0) {
    char why[256];
    CHECK(d != NULL);
    CHECK(fixgw_t_dict_check(d, why, sizeof why) == 0);
    fixgw_dict_free(d);
  } else {
    CHECK(rc < 0 && d == NULL);
    CHECK(err.code == rc && err.message[0] != 0);
    CHECK(rc != FIXGW_ENOMEM || t.failed);
  }
  CHECK(t.live == 0);
  return 0;
}

#ifdef FIXGW_DICT_FUZZ_STANDALONE
int main(int argc, char **argv) {
  int ran = 0;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "cannot open %s\n", argv[i]);
      return 1;
    }
    static uint8_t buf[(1 << 20) + 2];
    size_t n = fread(buf + 2, 1, sizeof buf - 2, f);
    fclose(f);
    for (unsigned k = 0; k <= 64; k++) {
      buf[0] = 0; /* never '<': the selector bytes are always read */
      buf[1] = (uint8_t)k;
      LLVMFuzzerTestOneInput(buf, n + 2);
    }
    ran++;
  }
  printf("%d seeds replayed\n", ran);
  return ran > 0 ? 0 : 1;
}
#endif
