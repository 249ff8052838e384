/* Runs the fuzz target over files (the seed corpus) without libFuzzer, so
 * every build, gcc included, replays the seeds as a regression test. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  int ran = 0;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "cannot open %s\n", argv[i]);
      return 1;
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    /* Every first byte: each kernel and many read patterns. */
    for (unsigned k = 0; k < 16; k++) {
      buf[0] = (uint8_t)k;
      buf[1] = (uint8_t)(k * 37);
      LLVMFuzzerTestOneInput(buf, n);
    }
    ran++;
  }
  printf("%d seeds replayed\n", ran);
  return ran > 0 ? 0 : 1;
}
