/* Deep structural comparison and self-consistency checks of dictionaries,
 * shared by the dict tests. */
#ifndef FIXGW_TEST_DICT_COMPARE_H
#define FIXGW_TEST_DICT_COMPARE_H

#include <stddef.h>

#include "fixgw/dict.h"

/* 0 if a and b hold the same model: every array element by element,
 * strings by content (pools may be laid out differently), layouts by
 * content and by which layout each nested pointer names. Otherwise 1 and
 * a description of the first difference in why[0..n). */
int fixgw_t_dict_compare(const fixgw_dict_t *a, const fixgw_dict_t *b,
                         char *why, size_t n);

/* 0 if d is internally consistent (every index in range, every lookup
 * helper finds every field, message, member and enum value, tables at most
 * 2/3 full, layouts agree with scopes), else 1 and why. */
int fixgw_t_dict_check(const fixgw_dict_t *d, char *why, size_t n);

#endif
