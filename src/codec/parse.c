/* The streaming parser: frame, validate, index — one read of the bytes.
 *
 * Order of work for a message at the front of the input:
 *   1. header: "8=" BeginString SOH "9=" BodyLength SOH. From these alone
 *      the frame length is known, so an incomplete message is answered
 *      with EAGAIN and the frame is remembered (no rescan on the next
 *      call), and an oversized one is refused before anyone buffers it.
 *   2. trailer: "10=" three digits SOH exactly where BodyLength says.
 *   3. one kernel pass over the frame: SOH bitmask + byte sum (CheckSum).
 *   4. fields: tags parsed digit by digit, value ends taken from the
 *      bitmask, data fields by their length, index + tag table filled.
 * Errors in 1-2 mean the frame cannot be trusted: the parser resumes at
 * the next "8=FIX" after the bad start. A CheckSum that does not match
 * (3) means the same: BodyLength may have run over the start of the next
 * message, so the search for "8=FIX" starts inside the frame. Errors in 4
 * sit in a frame whose bytes are proven: the whole frame is dropped and
 * the next message follows it.
 *
 * Garbage: bytes before any "8=FIX". A run of them that spans several
 * calls (no SOH, no "8=FIX" in sight) is one rejection: the first call
 * reports it and counts it, the later ones report it with
 * err->continued set and count only its bytes. */
#include <string.h>

#include "codec_internal.h"
#include "internal.h"

#define TRAILER_LEN 7u /* "10=nnn" SOH */

/* Tag table entry: generation (16 bits) | length-tag flag | field index
 * (15 bits). The flag outlives generations; the rest is per message. */
#define TT_GEN 0xFFFF0000u
#define TT_LENFLAG 0x8000u
#define TT_INDEX 0x7FFFu

/* Tag cache: a stream uses few distinct tags, so each field's first bytes
 * (the tag and its '=') usually repeat a prefix seen before. A direct-
 * mapped slot, chosen by the first three bytes, keeps such a prefix as it
 * stood when it passed the full check, with its tag value: a field whose
 * bytes equal it under its mask is the same tag, already validated. A miss
 * (or a collision) only costs the full check, which refills the slot. */
#define TCACHE_SLOTS 256u
typedef struct fixgw__tagcache {
  uint64_t word; /* the prefix bytes, '=' included */
  uint64_t mask; /* which bytes of the word are the prefix; 0: empty slot */
  uint32_t tag;
  uint32_t len; /* digits; the tag is < FIXGW_TAGTAB_SIZE and no length tag */
} fixgw__tagcache_t;

static inline fixgw__tagcache_t *tcache_of(uint32_t *tagtab) {
  return (fixgw__tagcache_t *)(void *)(tagtab + FIXGW_TAGTAB_SIZE);
}

static const fixgw_data_pair_t standard_pairs[] = {
    {90, 91},       {93, 89},       {95, 96},       {212, 213},     {348, 349},
    {350, 351},     {352, 353},     {354, 355},     {356, 357},     {358, 359},
    {360, 361},     {362, 363},     {364, 365},     {445, 446},     {618, 619},
    {621, 622},     {1277, 1278},   {1280, 1281},   {1282, 1283},   {1397, 1398},
    {1401, 1402},   {1403, 1404},   {1468, 1469},   {1525, 1527},   {1578, 1579},
    {1620, 1621},   {1664, 1665},   {1678, 1697},   {1733, 1734},   {2072, 2073},
    {2074, 2075},   {2111, 2112},   {2179, 2180},   {2287, 2288},   {2351, 2352},
    {2372, 2371},   {2481, 2482},   {2494, 2493},   {2522, 2521},   {2637, 2638},
    {2651, 2652},   {2665, 2666},   {2715, 2716},   {2718, 2719},   {2721, 2722},
    {2797, 2798},   {2802, 2801},   {2809, 2808},   {2815, 2814},   {40004, 40005},
    {40008, 40009}, {40978, 40979}, {40980, 40981}, {40982, 40983}, {40984, 40985},
    {40986, 40987}, {40988, 40989}, {41083, 41084}, {41101, 41102}, {41107, 41108},
    {41256, 41257}, {41320, 41321}, {41324, 41325}, {41458, 41459}, {41476, 41477},
    {41482, 41483}, {41653, 41654}, {41710, 41711}, {41806, 41807}, {41811, 41812},
    {41969, 41970}, {42025, 42026}, {42171, 42172}, {42451, 42452}, {42652, 42653},
    {42947, 42948},
};

const fixgw_data_pair_t *fixgw_data_pairs_standard(size_t *count) {
  if (count) *count = sizeof standard_pairs / sizeof standard_pairs[0];
  return standard_pairs;
}

static const char *const version_strings[FIXGW_V_COUNT_] = {
    NULL, "FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1"};
static const uint8_t version_lens[FIXGW_V_COUNT_] = {0, 7, 7, 7, 7, 7, 8};

/* The version of "BeginString SOH" at s when 9 bytes are readable there,
 * by two word compares instead of a string search. */
static inline fixgw_version version_fast(const char *s) {
  uint64_t w = fixgw__load_le64(s);
  /* "FIX.4.x" SOH, little-endian: bytes 0-4 "FIX.4", 5 '.', 6 digit, 7 SOH. */
  const uint64_t fix4 = 0x01002E342E584946ULL, fix4_mask = 0xFF00FFFFFFFFFFFFULL;
  if ((w & fix4_mask) == fix4) {
    unsigned d = (unsigned)((w >> 48) & 0xFF) - '0';
    return d <= 4 ? (fixgw_version)(FIXGW_V_FIX40 + d) : FIXGW_V_UNKNOWN;
  }
  if (memcmp(s, "FIXT.1.1\x01", 9) == 0) return FIXGW_V_FIXT11;
  return FIXGW_V_UNKNOWN;
}

const char *fixgw_version_string(fixgw_version v) {
  if ((unsigned)v >= FIXGW_V_COUNT_) return NULL;
  return version_strings[v];
}

fixgw_version fixgw_version_from_string(const char *s, size_t n) {
  for (unsigned v = 1; v < FIXGW_V_COUNT_; v++) {
    if (version_lens[v] == n && memcmp(version_strings[v], s, n) == 0)
      return (fixgw_version)v;
  }
  return FIXGW_V_UNKNOWN;
}

void fixgw_parser_config_default(fixgw_parser_config_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->max_msg_size = 65536;
  cfg->max_fields = 1024;
  cfg->max_group_depth = 8;
}

/* Zero every generation and index, set the length-tag flags. */
static void tagtab_clear(fixgw_parser_t *p) {
  for (uint32_t t = 0; t < FIXGW_TAGTAB_SIZE; t++)
    p->tagtab_[t] = (p->pair_bits_[t / 64] >> (t % 64)) & 1 ? TT_LENFLAG : 0;
  p->gen_ = 1;
}

static int pair_cmp_sorted(const fixgw_data_pair_t *a, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (a[i - 1].len_tag >= a[i].len_tag) return 0;
  return 1;
}

int fixgw_parser_init(fixgw_parser_t *p, const fixgw_parser_config_t *cfg) {
  if (!p) return FIXGW_EINVAL;
  memset(p, 0, sizeof *p);
  if (cfg)
    p->cfg_ = *cfg;
  else
    fixgw_parser_config_default(&p->cfg_);
  fixgw_parser_config_t *c = &p->cfg_;
  if (c->max_msg_size < 32 || c->max_msg_size > (1u << 30) || c->max_fields < 4 ||
      c->max_fields > 32767 || c->max_group_depth == 0)
    return FIXGW_EINVAL;
  fixgw_scan_impl impl;
  int rc = fixgw__scan_resolve(c->scan, &impl);
  if (rc) return rc;
  p->scan_fn_ = fixgw__scan_get(impl);

  const fixgw_data_pair_t *pairs = c->data_pairs;
  size_t npairs = c->n_data_pairs;
  if (!pairs) pairs = fixgw_data_pairs_standard(&npairs);
  for (size_t i = 0; i < npairs; i++)
    if (pairs[i].len_tag == 0 || pairs[i].len_tag > FIXGW_TAG_MAX ||
        pairs[i].data_tag == 0 || pairs[i].data_tag > FIXGW_TAG_MAX)
      return FIXGW_EINVAL;

  size_t mask_words = ((size_t)c->max_msg_size + 63) / 64 + 1;
  p->fields_ = fixgw__alloc(c->allocator, sizeof(fixgw_field_t) * c->max_fields);
  /* The tag cache lives right after the tag table: one base register
   * serves both in the field loop. */
  p->tagtab_ = fixgw__alloc(c->allocator, sizeof(uint32_t) * FIXGW_TAGTAB_SIZE +
                                              sizeof(fixgw__tagcache_t) * TCACHE_SLOTS);
  p->mask_ = fixgw__alloc(c->allocator, sizeof(uint64_t) * mask_words);
  p->tcache_ = p->tagtab_ ? tcache_of(p->tagtab_) : NULL;
  p->pairs_ = npairs ? fixgw__alloc(c->allocator, sizeof(fixgw_data_pair_t) * npairs) : NULL;
  if (!p->fields_ || !p->tagtab_ || !p->mask_ || (npairs && !p->pairs_)) {
    fixgw_parser_destroy(p);
    return FIXGW_ENOMEM;
  }
  if (npairs) memcpy(p->pairs_, pairs, sizeof(fixgw_data_pair_t) * npairs);
  /* Binary search below wants them sorted; a user table may not be. */
  if (!pair_cmp_sorted(p->pairs_, npairs)) {
    for (size_t i = 1; i < npairs; i++) {
      fixgw_data_pair_t k = p->pairs_[i];
      size_t j = i;
      while (j > 0 && p->pairs_[j - 1].len_tag > k.len_tag) {
        p->pairs_[j] = p->pairs_[j - 1];
        j--;
      }
      p->pairs_[j] = k;
    }
    for (size_t i = 1; i < npairs; i++)
      if (p->pairs_[i - 1].len_tag == p->pairs_[i].len_tag) {
        fixgw_parser_destroy(p);
        return FIXGW_EINVAL;
      }
  }
  c->data_pairs = p->pairs_;
  c->n_data_pairs = npairs;
  for (size_t i = 0; i < npairs; i++)
    if (p->pairs_[i].len_tag < FIXGW_TAGTAB_SIZE)
      p->pair_bits_[p->pairs_[i].len_tag / 64] |= 1ULL << (p->pairs_[i].len_tag % 64);
  tagtab_clear(p);
  for (uint32_t i = 0; i < TCACHE_SLOTS; i++)
    p->tcache_[i] = (fixgw__tagcache_t){1, 0, 0, 0}; /* (w & 0) never equals 1 */
  return 0;
}

void fixgw_parser_destroy(fixgw_parser_t *p) {
  if (!p) return;
  const fixgw_allocator_t *a = p->cfg_.allocator;
  fixgw__free(a, p->fields_);
  fixgw__free(a, p->tagtab_);
  fixgw__free(a, p->mask_);
  fixgw__free(a, p->pairs_);
  p->fields_ = NULL;
  p->tagtab_ = NULL;
  p->mask_ = NULL;
  p->tcache_ = NULL;
  p->pairs_ = NULL;
}

void fixgw_parser_reset(fixgw_parser_t *p) {
  if (!p) return;
  p->pend_len_ = 0;
  p->run_ = 0;
}

/* The data tag whose length len_tag gives, or 0. */
static uint32_t data_tag_for(const fixgw_parser_t *p, uint32_t len_tag) {
  if (len_tag < FIXGW_TAGTAB_SIZE &&
      !(p->pair_bits_[len_tag / 64] & (1ULL << (len_tag % 64))))
    return 0;
  size_t lo = 0, hi = p->cfg_.n_data_pairs;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (p->pairs_[mid].len_tag < len_tag)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < p->cfg_.n_data_pairs && p->pairs_[lo].len_tag == len_tag)
    return p->pairs_[lo].data_tag;
  return 0;
}

/* Offset of the next possible message start ("8=FIX") at or after from,
 * or, when there is none, how much may be dropped while keeping a tail
 * that could still grow into one. Always >= from. */
static size_t resync(const char *buf, size_t len, size_t from) {
  static const char start[] = "8=FIX";
  size_t i = from;
  while (i < len) {
    const char *q = memchr(buf + i, '8', len - i);
    if (!q) break;
    i = (size_t)(q - buf);
    size_t have = len - i < 5 ? len - i : 5;
    if (memcmp(q, start, have) == 0) return i; /* full match or a prefix at the end */
    i++;
  }
  return len;
}

/* A front that is no message start (EBEGINSTRING at offset 0) while the
 * previous rejection ran to the end of its input continues that garbage
 * run: reported again, with `continued`, but not counted again. A drop
 * that ends at the end of the input (no "8=FIX" found, or only the prefix
 * of one) after a resync leaves the run open for the next call. */
static int reject(fixgw_parser_t *p, int code, size_t offset, uint32_t tag,
                  size_t drop, size_t len, int resynced, size_t *consumed,
                  fixgw_parse_error_t *err) {
  int cont = p->run_ && code == FIXGW_EBEGINSTRING && offset == 0;
  p->pend_len_ = 0;
  p->stats.rejected += !cont;
  p->stats.bytes_skipped += drop;
  *consumed = drop;
  p->run_ = (uint8_t)(resynced && (drop == len || len - drop < 5));
  if (err) {
    err->code = code;
    err->offset = offset;
    err->tag = tag;
    err->continued = (uint32_t)cont;
  }
  return code;
}

/* Reject a frame that cannot be trusted: drop up to the next "8=FIX". */
#define BAD_FRAME(code, off, tag) \
  return reject(p, (code), (off), (tag), resync(buf, len, 1), len, 1, consumed, err)
/* Reject a trusted frame: drop exactly it. */
#define BAD_FIELD(code, off, tag) \
  return reject(p, (code), (off), (tag), frame, len, 0, consumed, err)

/* Parse "8=<BeginString>SOH9=<BodyLength>SOH" at buf. Returns 0 with the
 * frame geometry, EAGAIN if buf is a proper prefix of a valid header, or
 * an error with its offset and tag. */
#define HIGHS 0x8080808080808080ULL
#define ONES 0x0101010101010101ULL

/* The high bit of each byte of w equal to c, by the cheap zero-byte test:
 * bytes above the first match may be flagged too (borrows), never bytes
 * below it, so the lowest flag is exact. */
static inline uint64_t byte_hits(uint64_t w, unsigned char c) {
  uint64_t y = w ^ (ONES * c);
  return (y - ONES) & ~y & HIGHS;
}

/* Inline: it runs once per message, where a call costs a tenth of it. */
static inline __attribute__((always_inline)) int
parse_header(const fixgw_parser_t *p, const char *buf, size_t len, uint32_t *frame_len,
             uint32_t *body, uint8_t *ver, size_t *eoff, uint32_t *etag) {
  *eoff = 0;
  *etag = 8;
  /* "8=" then a known BeginString, compared as far as bytes exist. */
  if (buf[0] != '8') {
    *etag = 0;
    return FIXGW_EBEGINSTRING;
  }
  if (len < 2) return FIXGW_EAGAIN;
  if (buf[1] != '=') return FIXGW_EBEGINSTRING;
  size_t i = 2;
  fixgw_version v = len >= 2 + 9 ? version_fast(buf + 2) : FIXGW_V_UNKNOWN;
  if (FIXGW_LIKELY(v != FIXGW_V_UNKNOWN)) {
    i = 2 + version_lens[v] + 1;
    if (p->cfg_.versions && !(p->cfg_.versions & (1u << v))) return FIXGW_EBEGINSTRING;
    *ver = (uint8_t)v;
    goto body_length;
  }
  const char *soh = memchr(buf + 2, FIXGW_SOH, len - 2 < 9 ? len - 2 : 9);
  if (!soh) {
    /* Still a prefix of some accepted BeginString? */
    size_t have = len - 2;
    if (have >= 9) return FIXGW_EBEGINSTRING;
    for (unsigned k = 1; k < FIXGW_V_COUNT_; k++)
      if (have <= version_lens[k] && memcmp(buf + 2, version_strings[k], have) == 0)
        return FIXGW_EAGAIN;
    return FIXGW_EBEGINSTRING;
  }
  size_t bslen = (size_t)(soh - (buf + 2));
  v = fixgw_version_from_string(buf + 2, bslen);
  if (v == FIXGW_V_UNKNOWN ||
      (p->cfg_.versions && !(p->cfg_.versions & (1u << v))))
    return FIXGW_EBEGINSTRING;
  *ver = (uint8_t)v;
  i = 2 + bslen + 1;

body_length:
  *etag = 9;
  *eoff = i;
  if (len < i + 2) return FIXGW_EAGAIN;
  if (buf[i] != '9' || buf[i + 1] != '=') return FIXGW_EBODYLENGTH;
  i += 2;
  uint64_t bl = 0;
  size_t d0 = i;
  /* 1-7 digits and their SOH in one word, the usual case. Anything else,
   * and every error, takes the loop. */
  if (FIXGW_LIKELY(len - i >= 8)) {
    uint64_t w = fixgw__load_le64(buf + i), z = byte_hits(w, FIXGW_SOH);
    unsigned nd = z ? (unsigned)__builtin_ctzll(z) >> 3 : 0;
    if (FIXGW_LIKELY(nd != 0) && fixgw__digits_swar(w, nd, &bl) == 0) {
      i += nd;
      goto have_length;
    }
  }
  for (;;) {
    if (i >= len) return FIXGW_EAGAIN;
    unsigned c = (unsigned char)buf[i];
    if (c == FIXGW_SOH) break;
    unsigned d = c - '0';
    /* Leading zeros are allowed (FIX's Length is an int; QuickFIX and
     * some engines pad it). 15 digits bound the loop and cannot overflow;
     * the size check below refuses large values. */
    if (d > 9 || i - d0 >= 15) return FIXGW_EBODYLENGTH;
    bl = bl * 10 + d;
    i++;
  }
  if (i == d0) return FIXGW_EBODYLENGTH;
have_length:
  i++; /* SOH */
  uint64_t fl = (uint64_t)i + bl + TRAILER_LEN;
  if (fl > p->cfg_.max_msg_size) return FIXGW_ETOOBIG;
  *frame_len = (uint32_t)fl;
  *body = (uint32_t)i;
  return 0;
}

/* Tags of 1-7 digits, the usual case, from one 8-byte load at the field
 * start, with no branch on the digit count: '=' is byte_hits' lowest flag.
 * The first byte must be '1'..'9' (no empty tag, no leading zero), the
 * rest digits. Returns the tag length, or 0 when the byte-wise path must
 * decide. */
static inline unsigned tag_swar(const char *s, uint32_t *tag) {
  uint64_t w = fixgw__load_le64(s);
  uint64_t eq = byte_hits(w, '=');
  *tag = 0; /* when undecided: the byte-wise path sets it */
  if (FIXGW_UNLIKELY(!eq || (uint8_t)((w & 0xFF) - '1') > 8)) return 0;
  unsigned len = (unsigned)__builtin_ctzll(eq) >> 3; /* 1..7: byte 0 is a digit */
  uint64_t v;
  if (FIXGW_UNLIKELY(fixgw__digits_swar(w, len, &v))) return 0;
  *tag = (uint32_t)v;
  return len;
}

/* A tag cache miss at s (w8: its first 8 bytes, ce: its slot), out of
 * line so that tag_swar's constants leave the walk's registers alone.
 * Returns the tag | its length << 32 | 1 << 40 when it is a common tag
 * (see field_head), now in the slot; the length is 0 when tag_swar could
 * not decide. */
static __attribute__((noinline)) uint64_t tag_miss(const char *s, uint64_t w8,
                                                   fixgw__tagcache_t *ce,
                                                   const uint32_t *tagtab) {
  uint32_t tag;
  unsigned tl = tag_swar(s, &tag);
  if (tl == 0 || tag >= FIXGW_TAGTAB_SIZE || (tagtab[tag] & TT_LENFLAG))
    return tag | (uint64_t)tl << 32;
  uint64_t m = ~0ULL >> (56 - 8 * tl); /* the tl digits and '=' (tl <= 7) */
  ce->word = w8 & m;
  ce->mask = m;
  ce->tag = tag;
  ce->len = tl;
  return tag | (uint64_t)tl << 32 | 1ULL << 40;
}

/* The head of the field at pos (pos < cs): its value end *vend, the next
 * SOH bit of the walk (consumed; *bits holds the bits not yet walked of
 * the mask word whose first byte is at *base), and its tag from the tag
 * cache or, on a miss, tag_swar. Returns 1 when the tag has a table slot
 * and is no length tag (the common field), else 0; *tl 0 then says
 * tag_swar could not decide (the general path parses it byte by byte).
 * The cache keeps only tags that return 1, so a hit needs no further
 * test. */
static inline __attribute__((always_inline)) unsigned
field_head(const char *buf, uint32_t pos, const uint64_t *mask, uint32_t *base, uint64_t *bits,
           uint32_t *tagtab, uint32_t *vend, uint32_t *tag, unsigned *tl) {
  while (!*bits) { /* buf[cs - 1] is SOH: stops in frame */
    *base += 64;
    *bits = mask[*base / 64];
  }
  *vend = *base + (uint32_t)__builtin_ctzll(*bits);
  *bits &= *bits - 1;
  /* pos <= cs - 1, so 8 bytes from pos stay inside the frame. */
  uint64_t w8 = fixgw__load_le64(buf + pos);
  fixgw__tagcache_t *ce = &tcache_of(tagtab)[(uint32_t)((w8 & 0xFFFFFF) * 0x9E3779B1u) >> 24];
  if (FIXGW_LIKELY((w8 & ce->mask) == ce->word)) {
    *tag = ce->tag;
    *tl = ce->len;
    return 1;
  }
  uint64_t r = tag_miss(buf + pos, w8, ce, tagtab);
  *tag = (uint32_t)r;
  *tl = (unsigned)(r >> 32) & 0xFF;
  return (unsigned)(r >> 40);
}

/* The field walk's state, kept by walk_common between its runs and by
 * the general path for the fields walk_common leaves to it. */
typedef struct walk {
  fixgw_field_t *fp; /* where the next field goes */
  uint64_t bits;     /* SOH bits not yet walked of the mask word at base */
  uint32_t base;     /* offset of that word's first byte */
  uint32_t pos;      /* the next field's offset */
  uint32_t gn;       /* generation | the next field's index (see TT_*) */
  uint32_t repeats;
  uint32_t vend, tag, tl; /* the field walk_common stopped at, its head */
} walk_t;

#define WALK_OTHER 1 /* walk_common: a field for the general path */

/* Common fields (field_head returns 1) from s->pos on, as long as they
 * come. Returns 0 at cs; WALK_OTHER at another field, its head in s; or
 * the error for BAD_FIELD, s->pos and s->tag saying where. Nearly every
 * field of every message goes through this loop: its variables are its
 * own, so the compiler keeps them all in registers (with the general
 * path in the same loop, and tag_miss inline, it kept four on the stack).
 * checked: whether a field may meet flim; a body too short to fill the
 * field array needs no test (a constant at each call: two loops). */
static inline __attribute__((always_inline)) int
walk_common(const char *buf, uint32_t cs, const uint64_t *mask, uint32_t *tagtab,
            const fixgw_field_t *flim, walk_t *s, const int checked) {
  fixgw_field_t *fp = s->fp;
  uint64_t bits = s->bits;
  uint32_t base = s->base, pos = s->pos, gn = s->gn, repeats = s->repeats;
  int rc = 0;
  while (pos < cs) {
    uint32_t tag, vend;
    unsigned tl;
    if (FIXGW_UNLIKELY(!field_head(buf, pos, mask, &base, &bits, tagtab, &vend, &tag, &tl))) {
      s->vend = vend;
      s->tag = tag;
      s->tl = tl;
      rc = WALK_OTHER;
      break;
    }
    uint32_t e = tagtab[tag];
    uint32_t v = pos + tl + 1;
    if (FIXGW_UNLIKELY(vend == v)) {
      s->tag = tag;
      rc = FIXGW_EEMPTYVALUE;
      break;
    }
    if (checked && FIXGW_UNLIKELY(fp >= flim)) {
      s->tag = tag;
      rc = FIXGW_ETOOMANYFIELDS;
      break;
    }
    fp->tag = tag;
    fp->val = buf + v;
    fp->len = vend - v;
    if (FIXGW_LIKELY((e ^ gn) & TT_GEN))
      tagtab[tag] = gn;
    else
      repeats++;
    fp++;
    gn++;
    pos = vend + 1;
  }
  s->fp = fp;
  s->bits = bits;
  s->base = base;
  s->pos = pos;
  s->gn = gn;
  s->repeats = repeats;
  return rc;
}

int fixgw_parse(fixgw_parser_t *p, const char *buf, size_t len,
                size_t *consumed, fixgw_msg_t *msg, fixgw_parse_error_t *err) {
  if (!p || !consumed || !msg || (!buf && len)) return FIXGW_EINVAL;
  *consumed = 0;
  if (err) {
    err->code = 0;
    err->offset = 0;
    err->tag = 0;
    err->continued = 0;
  }
  if (len == 0) return FIXGW_EAGAIN;

  uint32_t frame, body;
  uint8_t ver;
  if (p->pend_len_) {
    frame = p->pend_len_;
    body = p->pend_body_;
    ver = p->pend_ver_;
  } else {
    size_t eoff;
    uint32_t etag;
    int rc = parse_header(p, buf, len, &frame, &body, &ver, &eoff, &etag);
    if (rc == FIXGW_EAGAIN) return rc;
    if (rc) BAD_FRAME(rc, eoff, etag);
  }
  if (len < frame) {
    p->pend_len_ = frame;
    p->pend_body_ = body;
    p->pend_ver_ = ver;
    return FIXGW_EAGAIN;
  }
  p->pend_len_ = 0;

  /* Trailer where BodyLength puts it. */
  const uint32_t cs = frame - TRAILER_LEN; /* offset of "10=" */
  const char *t = buf + cs;
  unsigned d1 = (unsigned)(unsigned char)t[3] - '0', d2 = (unsigned)(unsigned char)t[4] - '0',
           d3 = (unsigned)(unsigned char)t[5] - '0';
  if (t[0] != '1' || t[1] != '0' || t[2] != '=' || t[6] != FIXGW_SOH || d1 > 9 ||
      d2 > 9 || d3 > 9 || buf[cs - 1] != FIXGW_SOH)
    BAD_FRAME(FIXGW_ECHECKSUM_FORMAT, cs, 10);

  /* One pass: SOH mask + byte sum; the trailer's own bytes come off. */
  uint64_t *mask = p->mask_;
  uint64_t sum = p->scan_fn_(buf, frame, len, mask);
  /* "10=" SOH sum to 159; the three digits to their values + 3 * '0'. */
  sum -= 159 + 3 * '0' + d1 + d2 + d3;
  unsigned want = d1 * 100 + d2 * 10 + d3;
  /* A wrong sum proves the frame wrong, not just its trailer: its
   * BodyLength may reach over the next message, so resume inside it. */
  if ((sum & 0xFF) != want) BAD_FRAME(FIXGW_ECHECKSUM, cs, 10);

  /* Fields. */
  if (FIXGW_UNLIKELY(++p->gen_ > 0xFFFF)) tagtab_clear(p);
  const uint32_t gen = p->gen_ << 16;
  uint32_t *tagtab = p->tagtab_;
  fixgw_field_t *f = p->fields_;
  const uint32_t maxf = p->cfg_.max_fields - 1; /* room kept for CheckSum */

  f[0].tag = 8;
  f[0].val = buf + 2;
  f[0].len = version_lens[ver];
  f[1].tag = 9;
  f[1].val = buf + 5 + f[0].len;
  f[1].len = body - 1 - (5 + f[0].len);
  tagtab[8] = gen | (tagtab[8] & TT_LENFLAG) | 0;
  tagtab[9] = gen | (tagtab[9] & TT_LENFLAG) | 1;

  /* MsgType must open the body. A cheap prefix test here spares the
   * field loop a per-field check. */
  if (FIXGW_UNLIKELY(body + 3 >= cs || memcmp(buf + body, "35=", 3) != 0)) {
    uint32_t tag = 0, q = body;
    while (q < cs && (unsigned)(unsigned char)buf[q] - '0' <= 9 && q - body < 9)
      tag = tag * 10 + (uint32_t)(buf[q++] - '0');
    if (q == body || buf[q] != '=' || buf[body] == '0') BAD_FIELD(FIXGW_ETAG, body, 0);
    BAD_FIELD(FIXGW_EMSGTYPE, body, tag);
  }

  /* flim is where max_fields stops the walk. Field ends are the SOH bits
   * in order; walking them directly (clear lowest bit, count trailing
   * zeros) keeps each field's tag parse off the previous field's
   * dependency chain, so the CPU overlaps fields. */
  fixgw_field_t *const flim = f + maxf;
  walk_t ws;
  ws.fp = f + 2;
  ws.pos = body;
  ws.gn = gen | 2;
  ws.repeats = 0;
  ws.base = body & ~63u;
  ws.bits = mask[body / 64] & (~0ULL << (body & 63));
  /* A stored field holds at least "t=v" SOH: a body of fewer than four
   * bytes for each free slot cannot fill the field array. */
  const int roomy = (cs - body) / 4 + 3 <= p->cfg_.max_fields;
  for (;;) {
    int wrc = roomy ? walk_common(buf, cs, mask, tagtab, flim, &ws, 0)
                    : walk_common(buf, cs, mask, tagtab, flim, &ws, 1);
    if (FIXGW_LIKELY(wrc == 0)) break;
    if (wrc != WALK_OTHER) BAD_FIELD(wrc, ws.pos, ws.tag);
    /* The general path: fields of another kind, one at a time, and the
     * data field after a length field, whatever it is. */
    uint32_t pos = ws.pos, vend = ws.vend, tag = ws.tag, e, want_data = 0;
    unsigned tl = ws.tl;
    size_t data_len = 0; /* of the data field a length field announced */
    for (;;) {
      if (FIXGW_UNLIKELY(tl == 0)) {
        /* 8-9 digit tags, or a malformed one: byte by byte. The loop
         * stops at the SOH ending this field at the latest. */
        uint32_t q = pos;
        unsigned d;
        tag = 0;
        while ((d = (unsigned)(unsigned char)buf[q] - '0') <= 9 && q - pos < 10) {
          tag = tag * 10 + d;
          q++;
        }
        tl = q - pos;
        if (tl == 0 || tl > 9 || buf[pos] == '0') BAD_FIELD(FIXGW_ETAG, pos, 0);
        if (buf[q] == FIXGW_SOH) BAD_FIELD(FIXGW_ENOEQUALS, pos, tag);
        if (buf[q] != '=') BAD_FIELD(FIXGW_ETAG, pos, 0);
      }
      /* The tag's digits hold no SOH, so '=' lies before vend. */
      uint32_t v = pos + tl + 1;
      if (FIXGW_UNLIKELY(want_data != 0) && tag == want_data) {
        /* Data field: exactly data_len bytes, SOH and '=' included; the
         * SOH walk resumes after its end. */
        if (data_len >= (size_t)(cs - v) || buf[v + data_len] != FIXGW_SOH)
          BAD_FIELD(FIXGW_EDATALEN, pos, tag);
        vend = v + (uint32_t)data_len;
        ws.base = vend & ~63u;
        ws.bits = mask[vend / 64] & ((~0ULL << (vend & 63)) << 1);
      }
      want_data = 0;
      if (FIXGW_UNLIKELY(vend == v)) BAD_FIELD(FIXGW_EEMPTYVALUE, pos, tag);
      if (FIXGW_UNLIKELY(ws.fp >= flim)) BAD_FIELD(FIXGW_ETOOMANYFIELDS, pos, tag);
      ws.fp->tag = tag;
      ws.fp->val = buf + v;
      ws.fp->len = vend - v;
      if (FIXGW_LIKELY(tag < FIXGW_TAGTAB_SIZE)) {
        /* One load answers three questions: seen before in this message
         * (generation), where (index), and is it a length tag (a flag
         * kept across messages). */
        e = tagtab[tag];
        if (FIXGW_LIKELY((e ^ ws.gn) & TT_GEN))
          tagtab[tag] = ws.gn | (e & TT_LENFLAG);
        else
          ws.repeats++;
        if (FIXGW_UNLIKELY(e & TT_LENFLAG)) {
          uint64_t dl;
          if (fixgw_to_uint(buf + v, vend - v, &dl) != 0 || dl > cs)
            BAD_FIELD(FIXGW_EDATALEN, pos, tag);
          want_data = data_tag_for(p, tag);
          data_len = (size_t)dl;
        }
      } else if (p->cfg_.n_data_pairs &&
                 tag <= p->pairs_[p->cfg_.n_data_pairs - 1].len_tag &&
                 (want_data = data_tag_for(p, tag)) != 0) {
        uint64_t dl;
        if (fixgw_to_uint(buf + v, vend - v, &dl) != 0 || dl > cs)
          BAD_FIELD(FIXGW_EDATALEN, pos, tag);
        data_len = (size_t)dl;
      }
      ws.fp++;
      ws.gn++;
      pos = vend + 1;
      if (FIXGW_LIKELY(want_data == 0) || pos >= cs) break;
      field_head(buf, pos, mask, &ws.base, &ws.bits, tagtab, &vend, &tag, &tl);
    }
    ws.pos = pos;
  }
  fixgw_field_t *fp = ws.fp;
  uint32_t repeats = ws.repeats;

  uint32_t n = (uint32_t)(fp - f);
  f[n].tag = 10;
  f[n].val = t + 3;
  f[n].len = 3;
  tagtab[10] = gen | (tagtab[10] & TT_LENFLAG) | n;
  n++;

  msg->buf = buf;
  msg->len = frame;
  msg->nfields = n;
  msg->fields = f;
  msg->msgtype.ptr = f[2].val;
  msg->msgtype.len = f[2].len;
  msg->version = (fixgw_version)ver;
  msg->body_length = cs - body;
  msg->repeats = repeats;
  msg->tagtab_ = tagtab;
  msg->gen_ = p->gen_;
  msg->max_group_depth_ = p->cfg_.max_group_depth;
  p->stats.messages++;
  p->stats.bytes_ok += frame;
  p->run_ = 0;
  *consumed = frame;
  return 0;
}

int fixgw_parse_end(fixgw_parser_t *p, const char *buf, size_t len,
                    fixgw_parse_error_t *err) {
  if (!p || (!buf && len)) return FIXGW_EINVAL;
  if (err) {
    err->code = 0;
    err->offset = 0;
    err->tag = 0;
    err->continued = 0;
  }
  if (len == 0) {
    p->pend_len_ = 0;
    p->run_ = 0;
    return 0;
  }
  int code;
  uint32_t tag = 0;
  if (p->pend_len_) {
    /* fixgw_parse already read the header: a frame, cut off. */
    if (len >= p->pend_len_) return FIXGW_EINVAL;
    code = FIXGW_ETRUNCATED;
  } else {
    uint32_t frame = 0, body;
    uint8_t ver;
    size_t eoff;
    uint32_t etag;
    int rc = parse_header(p, buf, len, &frame, &body, &ver, &eoff, &etag);
    if (rc == 0 && len >= frame) return FIXGW_EINVAL; /* a whole frame: parse it */
    if (rc != 0 && rc != FIXGW_EAGAIN) return FIXGW_EINVAL;
    /* A message start as the resync knows it ("8=FIX") is a message the
     * stream cut off; anything shorter cannot be told from garbage. */
    if (len >= 5 && memcmp(buf, "8=FIX", 5) == 0) {
      code = FIXGW_ETRUNCATED;
      tag = rc == 0 ? 0 : etag;
    } else {
      code = FIXGW_EBEGINSTRING;
    }
  }
  size_t consumed;
  reject(p, code, code == FIXGW_ETRUNCATED ? len : 0, tag, len, len, 1, &consumed, err);
  p->run_ = 0; /* the stream is over: the next byte starts a new one */
  return code;
}
