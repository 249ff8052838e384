/*
 * libfixgw store import: bring one session's QuickFIX FileStore into any
 * libfixgw store, so a team that moves from QuickFIX keeps its sequence
 * numbers and can still answer resend requests for what QuickFIX sent.
 *
 * WHAT IS READ. QuickFIX's FileStore keeps four files per session in its
 * FileStorePath, named <prefix>.<ext> with
 *   prefix = BeginString "-" SenderCompID "-" TargetCompID ["-" qualifier]
 * (e.g. FIX.4.4-CLIENT-SERVER). Each must exist; an empty store has empty
 * .body and .header files. The formats are those of QuickFIX 1.15 (Debian's
 * libquickfix-dev) and of its later 64-bit-number releases:
 *   .body     the messages it sent, back to back, as sent
 *   .header   one entry per stored message, "seq,offset,size " (decimal;
 *             offset and size in bytes into .body), in the order written;
 *             a later entry for the same seq replaces an earlier one, as
 *             QuickFIX's own reading does
 *   .seqnums  "SENDER : TARGET", the next numbers (1.15 writes each with
 *             10 zero-padded digits, later releases with 20)
 *   .session  the creation time, UTC "YYYYMMDD-HH:MM:SS[.fff|.ffffff|
 *             .fffffffff]"
 * QuickFIX must not be writing the store during the import (stop it first):
 * a change seen between the check and the copy fails the import.
 *
 * WHAT IS CHECKED. Everything, before anything is written. Every .header
 * entry must be three unsigned decimal numbers in range (seq >= 1, below
 * UINT64_MAX; offset below 2^63; size at most max_message_size), each
 * ended by white space as QuickFIX writes them. Each entry that will be
 * imported (the newest one of its seq, below the next sender number) must
 * lie inside .body, start after the bytes of the imported entry written
 * before it (QuickFIX only appends), and delimit exactly one FIX message:
 * it starts "8=", its BodyLength (9) ends the body right before "10=", and
 * its CheckSum (10) is right. So a .header that does not belong to its
 * .body, a cut .body and a shifted entry are found, not imported. Entries
 * QuickFIX itself never reads again need only parse: a superseded one, and
 * one at or above the next sender number, which is what a QuickFIX
 * stopped mid-send leaves (it writes .header, then .body, then raises the
 * number, then sends), its bytes possibly missing. Both numbers must be
 * >= 1 and below UINT64_MAX; the time must be a real UTC date and time.
 *
 * WHAT IS WRITTEN, into dst, in this order:
 *   1. the creation time: if dst's differs, dst->ops->reset(creation),
 *      which the store interface defines as "drop all (there is nothing),
 *      numbers to 1, creation time := the given time". Every libfixgw
 *      store honours it; a file store under FIXGW_FILE_GEN_ARCHIVE then
 *      keeps its first (empty) generation as <key>.g000001.log. To avoid
 *      that, open the destination with now_utc_ns = info.creation_utc_ns
 *      from fixgw_qf_store_check() first (fixgw-qf-import does). If dst
 *      still reports another time, info.creation_kept is 0 and the import
 *      goes on (the numbers and messages matter more than the stamp).
 *   2. every stored message, ascending by seq, with append(seq, bytes);
 *      only the newest bytes of each seq. Entries whose seq is at or above
 *      QuickFIX's next sender number are not imported (counted in
 *      info.stale): those numbers will carry new messages, and the store
 *      contract drops messages from the next sender number on.
 *   3. set_next_sender, set_next_target: QuickFIX's numbers.
 *   4. flush(), if dst has one.
 * Gaps between stored numbers stay gaps (QuickFIX with PersistMessages=N
 * stores none): a resend of them is a gap fill, as in QuickFIX.
 *
 * THE DESTINATION must be new: next numbers 1 and 1 and no message. Any
 * other is refused with FIXGW_ESTATE before anything is written, so
 * nothing is silently overwritten or mixed.
 *
 * FAILURE. A failure found while checking (every fault of the QuickFIX
 * files, and a destination that is not new) leaves dst untouched,
 * err->written 0. A failure of dst itself while writing (disk full, its
 * own limits) or a change of the source files seen during the copy returns
 * that error with err->written 1: dst then holds a partial import
 * (info->imported messages so far, numbers not yet QuickFIX's). It is
 * never reported as success; destroy dst, delete its files and import
 * again into a new store (fixgw-qf-import does this itself).
 *
 * MEMORY. Bounded whatever the size of the store: .body is read one
 * message at a time into one buffer grown to the largest message (at most
 * max_message_size), .header and the small files are read through a fixed
 * buffer. Only when the .header entries are not in ascending seq order (a
 * number QuickFIX was told to reuse) is an index of 24 bytes per entry held
 * to sort them (at most max_index_entries). .body is read twice: once to
 * check, once to copy. Allocation through cfg->allocator, freed on return.
 *
 * ERRORS (0 or a negative FIXGW_E* code; *err says which file and what):
 *   FIXGW_EINVAL    NULL argument, bad config (no prefix and no parts, or
 *                   both; a prefix with '/'; a path too long), or a dst
 *                   whose ops table lacks a member
 *   FIXGW_ENOTFOUND a QuickFIX file is missing
 *   FIXGW_EFORMAT   a file's content is not what QuickFIX writes: syntax,
 *                   a zero, signed or oversized number, a time that does
 *                   not parse, an entry past the end of .body or
 *                   overlapping another, a message that is not one FIX
 *                   frame, a .seqnums or .session larger than QuickFIX
 *                   writes, an empty .seqnums or .session; err->path is
 *                   the file, err->seq the entry's number if any
 *   FIXGW_ETOOBIG   a message longer than max_message_size
 *   FIXGW_EFULL     unordered .header with more than max_index_entries
 *                   entries
 *   FIXGW_ESTATE    dst is not new; or the source changed during the copy
 *   FIXGW_EPERM     a file cannot be read (permission)
 *   FIXGW_EIO       a read failed
 *   FIXGW_ENOMEM    allocation failed
 *   or the code dst returned (err->written 1, err->seq the number).
 *
 * THREADS. Each call is independent; dst belongs to the calling thread for
 * the call, as always. CLOCK: never read; the time comes from .session.
 */
#ifndef FIXGW_STORE_IMPORT_H
#define FIXGW_STORE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "fixgw/common.h"
#include "fixgw/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fixgw_qf_import_config {
  uint32_t size;         /* sizeof(fixgw_qf_import_config_t) */
  const char *directory; /* QuickFIX's FileStorePath */
  /* The file name prefix, e.g. "FIX.4.4-CLIENT-SERVER"; or NULL and the
   * parts below, joined as QuickFIX joins them. */
  const char *prefix;
  const char *begin_string;   /* "FIX.4.4" */
  const char *sender_comp_id; /* SenderCompID of the session's own side */
  const char *target_comp_id;
  const char *qualifier;      /* SessionQualifier; NULL or "" for none */
  size_t max_message_size;    /* default 16 MiB - 1, the most a store takes */
  uint32_t max_index_entries; /* default 1 << 22 (96 MiB of index) */
  const fixgw_allocator_t *allocator; /* NULL: malloc */
} fixgw_qf_import_config_t;

/* Defaults as above; the caller sets directory and prefix or the parts. */
void fixgw_qf_import_config_default(fixgw_qf_import_config_t *cfg);

/* What a QuickFIX store holds, and what an import did with it. */
typedef struct fixgw_qf_store_info {
  uint64_t entries;      /* .header entries read */
  uint64_t messages;     /* distinct numbers to import (below next_sender) */
  uint64_t superseded;   /* entries replaced by a later one for their seq */
  uint64_t stale;        /* numbers at or above next_sender: not imported */
  uint64_t first_seq;    /* lowest and highest number imported; 0 if none */
  uint64_t last_seq;
  uint64_t message_bytes; /* bytes of the messages imported */
  size_t max_message_len; /* longest of them */
  uint64_t body_bytes;   /* size of .body */
  uint64_t next_sender;  /* from .seqnums */
  uint64_t next_target;
  int64_t creation_utc_ns; /* from .session */
  /* Import only: messages appended to dst; 1 if dst reports
   * creation_utc_ns after the import. */
  uint64_t imported;
  int creation_kept;
} fixgw_qf_store_info_t;

typedef struct fixgw_qf_import_error {
  int code;       /* FIXGW_E* */
  int sys_errno;  /* errno of a failed system call, 0 if none */
  int written;    /* 1: dst was written to before the failure (partial) */
  uint64_t seq;   /* the number concerned, 0 if none */
  char path[256]; /* the file concerned (may be cut), "" for dst */
  char text[512]; /* "<path>: <what is wrong>" */
} fixgw_qf_import_error_t;

/* Read and check the store cfg names (WHAT IS CHECKED) without writing
 * anything anywhere, and fill *info (all but imported and creation_kept).
 * 0 or an error code above; *err (if not NULL) says why. */
int fixgw_qf_store_check(const fixgw_qf_import_config_t *cfg,
                         fixgw_qf_store_info_t *info,
                         fixgw_qf_import_error_t *err);

/* Check the store cfg names, then write it into dst (WHAT IS WRITTEN),
 * which must be new. dst stays the caller's (open, not destroyed). *info
 * (if not NULL) is filled as far as the import got. 0 or an error code
 * above (see FAILURE for what dst holds then). */
int fixgw_qf_store_import(const fixgw_qf_import_config_t *cfg,
                          fixgw_store_t *dst, fixgw_qf_store_info_t *info,
                          fixgw_qf_import_error_t *err);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_STORE_IMPORT_H */
