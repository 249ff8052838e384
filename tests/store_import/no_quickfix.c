/* Stands in for test_store_import_quickfix where Debian's libquickfix-dev
 * is not installed: exit 77, which ctest shows as skipped. */
#include <stdio.h>

int main(void) {
  puts("QuickFIX (libquickfix-dev) is not installed: the import is not tested "
       "against QuickFIX's own FileStore");
  return 77;
}
