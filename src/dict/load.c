/*
 * Runtime dictionary loader: QuickFIX-format XML -> the model of dict.h.
 *
 * It mirrors scripts/fixgw-dictgen step for step (same checks in the same
 * order, same scope order, same hash tables), so a loaded dictionary and
 * the generated tables for the same file are equal member by member;
 * tests/dict holds the two to that.
 *
 * Phases: expat callbacks build raw lists (fields, components, messages,
 * item trees) in a scratch arena; resolve checks names, references and
 * cycles; build expands components into scopes; freeze lays the result out
 * in the output arena, which the dictionary owns.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "fixgw/dict.h"
#include "internal.h"

/* The generator has the same limit (MAX_EXPANSION). */
#define MAX_EXPANSION FIXGW_DICT_MAX_EXPANSION
#define TAG_MAX 999999999u

/* ------------------------------------------------------------------ arena */

typedef struct chunk {
  struct chunk *next;
  size_t cap, used;
  _Alignas(16) unsigned char data[];
} chunk;

typedef struct arena {
  fixgw_allocator_t a; /* a copy: the caller's struct may not outlive us */
  chunk *head;
} arena;

static void *arena_alloc(arena *ar, size_t n) {
  n = (n + 15u) & ~(size_t)15u;
  if (n == 0) n = 16;
  chunk *c = ar->head;
  if (!c || c->cap - c->used < n) {
    size_t cap = n > 65536 - sizeof(chunk) ? n : 65536 - sizeof(chunk);
    if (cap > SIZE_MAX - sizeof(chunk)) return NULL;
    c = fixgw__alloc(&ar->a, sizeof(chunk) + cap);
    if (!c) return NULL;
    c->cap = cap;
    c->used = 0;
    c->next = ar->head;
    ar->head = c;
  }
  void *p = c->data + c->used;
  c->used += n;
  return p;
}

static void arena_free(arena *ar) {
  chunk *c = ar->head;
  while (c) {
    chunk *next = c->next;
    fixgw__free(&ar->a, c);
    c = next;
  }
  ar->head = NULL;
}

/* ------------------------------------------------------- expat allocation */

/* Expat's memory suite has no user pointer, so the allocator of the load in
 * progress on this thread is parked here for the duration of the call. */
static _Thread_local const fixgw_allocator_t *tl_alloc;

typedef union {
  size_t size;
  max_align_t align_;
} xhdr;

static void *x_malloc(size_t n) {
  if (n > SIZE_MAX - sizeof(xhdr)) return NULL;
  xhdr *h = fixgw__alloc(tl_alloc, sizeof(xhdr) + n);
  if (!h) return NULL;
  h->size = n;
  return h + 1;
}

static void x_free(void *p) {
  if (p) fixgw__free(tl_alloc, (xhdr *)p - 1);
}

static void *x_realloc(void *p, size_t n) {
  if (!p) return x_malloc(n);
  void *q = x_malloc(n);
  if (!q) return NULL;
  size_t old = ((xhdr *)p - 1)->size;
  memcpy(q, p, old < n ? old : n);
  x_free(p);
  return q;
}

/* ------------------------------------------------------------- raw model */

enum { K_FIELD, K_COMPONENT, K_GROUP };

typedef struct item item;

typedef struct ilist {
  item *head, *tail;
} ilist;

struct item {
  item *next;
  ilist children; /* groups */
  const char *name;
  uint32_t line;
  uint8_t kind, req;
  uint32_t ref;   /* resolved: raw field index or component index */
  int32_t scope;  /* groups: built scope, -1 until built */
};

typedef struct rvalue {
  struct rvalue *next;
  const char *val, *desc;
  uint32_t line, order;
  uint64_t key;
} rvalue;

typedef struct rfield {
  struct rfield *next;
  const char *name;
  uint32_t tag, line, nvalues;
  uint8_t type;
  rvalue *vhead, *vtail;
  rvalue **vsorted;
  uint32_t dense; /* index in tag order */
} rfield;

typedef struct rcomp {
  struct rcomp *next;
  const char *name;
  uint32_t line;
  ilist items;
  uint8_t state; /* 0 unchecked, 1 checking, 2 done */
} rcomp;

typedef struct rmsg {
  struct rmsg *next;
  const char *name, *msgtype;
  uint32_t line, body;
  uint8_t admin;
  ilist items;
} rmsg;

/* Element kinds on the parse stack. */
enum {
  E_FIX, E_HEADER, E_TRAILER, E_MESSAGES, E_COMPONENTS, E_FIELDS,
  E_FIELDDEF, E_VALUE, E_MESSAGE, E_COMPDEF, E_REF_FIELD, E_REF_COMP,
  E_GROUP
};

/* A member while scopes are built; `it` names the element for errors. */
typedef struct rmember {
  uint16_t field, group;
  uint8_t flags;
  const item *it;
} rmember;

typedef struct vec {
  void *p;
  size_t n, cap, elt;
} vec;

typedef struct loader {
  arena tmp;
  arena *out;
  fixgw_dict_error_t *err;
  const char *file;
  XML_Parser xp;
  int rc;
  /* parse state */
  uint32_t depth;
  uint8_t kind[FIXGW_DICT_MAX_DEPTH + 1];
  ilist *list[FIXGW_DICT_MAX_DEPTH + 1]; /* where children go, or NULL */
  const char *elname[FIXGW_DICT_MAX_DEPTH + 1];
  rfield *cur_field;
  int have_root;
  unsigned sections;
  uint8_t transport, major, minor, sp;
  /* raw definitions, file order */
  rfield *fhead, *ftail;
  uint32_t nfields;
  rcomp *chead, *ctail;
  uint32_t ncomps;
  rmsg *mhead, *mtail;
  uint32_t nmsgs;
  ilist header, trailer;
  uint32_t ngroup_items;
  /* resolve / build */
  rfield **fields;   /* file order */
  rfield **sorted;   /* tag order */
  rcomp **comps;
  vec raw;           /* rmember stack shared by nested builds */
  vec members;       /* fixgw_dict_member_t, all scopes */
  vec scopes;        /* fixgw_dict_scope_t */
  uint32_t *stamp, *pos, build_id;
  uint32_t *intern;  /* open addressing: scope index + 1 */
  uint32_t intern_mask;
  long budget;
} loader;

/* ------------------------------------------------------------------ errors */

static int fail(loader *L, int code, uint32_t line, const char *element,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(loader *L, int code, uint32_t line, const char *element,
                const char *fmt, ...) {
  if (L->rc) return L->rc; /* keep the first error */
  L->rc = code;
  if (L->err) {
    fixgw_dict_error_t *e = L->err;
    e->code = code;
    e->file = L->file;
    e->line = line;
    e->column = 0;
    snprintf(e->element, sizeof e->element, "%s", element ? element : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

static int oom(loader *L) {
  return fail(L, FIXGW_ENOMEM, 0, "", "out of memory");
}

/* ------------------------------------------------------------------ helpers */

static void *vec_push(loader *L, vec *v) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 64;
    void *p = arena_alloc(&L->tmp, cap * v->elt);
    if (!p) return NULL;
    if (v->n) memcpy(p, v->p, v->n * v->elt);
    v->p = p;
    v->cap = cap;
  }
  return (char *)v->p + v->n++ * v->elt;
}

static char *dup_str(arena *ar, const char *s) {
  size_t n = strlen(s);
  char *d = arena_alloc(ar, n + 1);
  if (d) memcpy(d, s, n + 1);
  return d;
}

static const char *attr(const char **atts, const char *name) {
  for (; atts[0]; atts += 2)
    if (strcmp(atts[0], name) == 0) return atts[1];
  return NULL;
}

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* String -> index map over a fixed number of keys (open addressing). */
typedef struct strmap {
  const char **keys;
  uint32_t *vals;
  uint32_t mask;
} strmap;

static int strmap_init(loader *L, strmap *m, uint32_t n) {
  uint32_t cap = 2;
  while (cap < 2 * (uint64_t)n) cap *= 2;
  m->keys = arena_alloc(&L->tmp, cap * sizeof *m->keys);
  m->vals = arena_alloc(&L->tmp, cap * sizeof *m->vals);
  if (!m->keys || !m->vals) return oom(L);
  memset(m->keys, 0, cap * sizeof *m->keys);
  m->mask = cap - 1;
  return 0;
}

/* Index of key, or -1; with insert, adds key -> val when absent. */
static int64_t strmap_get(strmap *m, const char *key, int insert,
                          uint32_t val) {
  uint32_t h = (uint32_t)hash_str(key) & m->mask;
  while (m->keys[h]) {
    if (strcmp(m->keys[h], key) == 0) return m->vals[h];
    h = (h + 1) & m->mask;
  }
  if (insert) {
    m->keys[h] = key;
    m->vals[h] = val;
  }
  return -1;
}

/* ------------------------------------------------------------- XML parse */

static uint32_t cur_line(loader *L) {
  return (uint32_t)XML_GetCurrentLineNumber(L->xp);
}

static void stop(loader *L) { XML_StopParser(L->xp, XML_FALSE); }

#define PFAIL(code, el, ...)                           \
  do {                                                 \
    fail(L, code, cur_line(L), el, __VA_ARGS__);       \
    stop(L);                                           \
    return;                                            \
  } while (0)

static const char *need(loader *L, const char **atts, const char *el,
                        const char *name) {
  const char *v = attr(atts, name);
  if (!v) {
    fail(L, FIXGW_EDICT_SCHEMA, cur_line(L), el, "missing attribute '%s'",
         name);
    stop(L);
  }
  return v;
}

/* All decimal digits (at least one). */
static int digits(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

static int is_ascii(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s >= 0x80) return 0;
  return 1;
}

static const char *const section_names[] = {"header", "trailer", "messages",
                                            "components", "fields"};

static void on_start(void *ud, const XML_Char *name, const XML_Char **atts) {
  loader *L = ud;
  if (L->rc) return;
  uint32_t line = cur_line(L);
  if (L->depth >= FIXGW_DICT_MAX_DEPTH)
    PFAIL(FIXGW_EDICT_LIMIT, name, "elements nest deeper than %u",
          FIXGW_DICT_MAX_DEPTH);
  int parent = L->depth ? L->kind[L->depth - 1] : -1;
  const char *pname = L->depth ? L->elname[L->depth - 1] : "";
  ilist *plist = L->depth ? L->list[L->depth - 1] : NULL;
  int kind;
  ilist *list = NULL;

  if (parent < 0) {
    if (strcmp(name, "fix") != 0)
      PFAIL(FIXGW_EDICT_SCHEMA, name, "root element must be <fix>");
    const char *t = need(L, atts, name, "type");
    if (!t) return;
    if (strcmp(t, "FIX") != 0 && strcmp(t, "FIXT") != 0)
      PFAIL(FIXGW_EDICT_SCHEMA, name, "type='%s' is neither FIX nor FIXT", t);
    static const char *const an[3] = {"major", "minor", "servicepack"};
    unsigned ver[3];
    for (int i = 0; i < 3; i++) {
      const char *v = attr(atts, an[i]);
      if (!v && i == 2) v = "0";
      if (!v) PFAIL(FIXGW_EDICT_SCHEMA, name, "missing attribute '%s'", an[i]);
      unsigned x = 0;
      int ok = digits(v);
      for (const char *p = v; ok && *p; p++) {
        x = x * 10 + (unsigned)(*p - '0');
        if (x > 255) ok = 0;
      }
      if (!ok) PFAIL(FIXGW_EDICT_SCHEMA, name, "%s='%s' is not 0..255", an[i], v);
      ver[i] = x;
    }
    L->have_root = 1;
    L->transport = strcmp(t, "FIXT") == 0;
    L->major = (uint8_t)ver[0];
    L->minor = (uint8_t)ver[1];
    L->sp = (uint8_t)ver[2];
    kind = E_FIX;
  } else if (parent == E_FIX) {
    unsigned s;
    for (s = 0; s < 5; s++)
      if (strcmp(name, section_names[s]) == 0) break;
    if (s == 5) PFAIL(FIXGW_EDICT_SCHEMA, name, "unexpected element in <fix>");
    if (L->sections & (1u << s))
      PFAIL(FIXGW_EDICT_DUP, name, "second <%s> section", name);
    L->sections |= 1u << s;
    static const uint8_t kinds[5] = {E_HEADER, E_TRAILER, E_MESSAGES,
                                     E_COMPONENTS, E_FIELDS};
    kind = kinds[s];
    if (kind == E_HEADER) list = &L->header;
    if (kind == E_TRAILER) list = &L->trailer;
  } else if (parent == E_FIELDS) {
    if (strcmp(name, "field") != 0)
      PFAIL(FIXGW_EDICT_SCHEMA, name, "unexpected element in <fields>");
    const char *num = need(L, atts, name, "number");
    if (!num) return;
    const char *fname = need(L, atts, name, "name");
    if (!fname) return;
    const char *ftype = need(L, atts, name, "type");
    if (!ftype) return;
    uint32_t tag = 0;
    int ok = digits(num) && strlen(num) <= 9;
    if (ok) tag = (uint32_t)strtoul(num, NULL, 10);
    if (!ok || tag == 0)
      PFAIL(FIXGW_EDICT_SCHEMA, name, "number='%s' is not a tag 1..%u", num,
            TAG_MAX);
    if (!*fname) PFAIL(FIXGW_EDICT_SCHEMA, name, "empty name");
    fixgw_field_type t =
        is_ascii(ftype) ? fixgw_field_type_from_name(ftype, strlen(ftype))
                        : FIXGW_FT_UNKNOWN;
    if (t == FIXGW_FT_UNKNOWN)
      PFAIL(FIXGW_EDICT_TYPE, name, "field %s has unknown type '%s'", fname,
            ftype);
    rfield *f = arena_alloc(&L->tmp, sizeof *f);
    if (!f || !(f->name = dup_str(&L->tmp, fname))) {
      oom(L);
      stop(L);
      return;
    }
    f->next = NULL;
    f->tag = tag;
    f->line = line;
    f->type = (uint8_t)t;
    f->nvalues = 0;
    f->vhead = f->vtail = NULL;
    f->vsorted = NULL;
    if (L->ftail) L->ftail->next = f;
    else L->fhead = f;
    L->ftail = f;
    L->nfields++;
    L->cur_field = f;
    kind = E_FIELDDEF;
  } else if (parent == E_FIELDDEF) {
    if (strcmp(name, "value") != 0)
      PFAIL(FIXGW_EDICT_SCHEMA, name, "unexpected element in <field>");
    const char *ev = need(L, atts, name, "enum");
    if (!ev) return;
    if (!*ev) PFAIL(FIXGW_EDICT_SCHEMA, name, "empty enum value");
    const char *desc = attr(atts, "description");
    rvalue *v = arena_alloc(&L->tmp, sizeof *v);
    if (!v || !(v->val = dup_str(&L->tmp, ev)) ||
        !(v->desc = dup_str(&L->tmp, desc ? desc : ""))) {
      oom(L);
      stop(L);
      return;
    }
    rfield *f = L->cur_field;
    v->next = NULL;
    v->line = line;
    v->order = f->nvalues++;
    v->key = fixgw_dict_key(v->val, strlen(v->val));
    if (f->vtail) f->vtail->next = v;
    else f->vhead = v;
    f->vtail = v;
    kind = E_VALUE;
  } else if (parent == E_MESSAGES) {
    if (strcmp(name, "message") != 0)
      PFAIL(FIXGW_EDICT_SCHEMA, name, "unexpected element in <messages>");
    const char *mname = need(L, atts, name, "name");
    if (!mname) return;
    const char *mt = need(L, atts, name, "msgtype");
    if (!mt) return;
    const char *cat = attr(atts, "msgcat");
    if (!cat) cat = "app";
    if (strcmp(cat, "app") != 0 && strcmp(cat, "admin") != 0)
      PFAIL(FIXGW_EDICT_SCHEMA, name, "msgcat='%s' is neither app nor admin",
            cat);
    if (!*mt || strlen(mt) > FIXGW_DICT_MAX_MSGTYPE_LEN || strchr(mt, 1))
      PFAIL(FIXGW_EDICT_SCHEMA, name,
            "msgtype='%s' is empty, has SOH or is longer than %u bytes", mt,
            FIXGW_DICT_MAX_MSGTYPE_LEN);
    rmsg *m = arena_alloc(&L->tmp, sizeof *m);
    if (!m || !(m->name = dup_str(&L->tmp, mname)) ||
        !(m->msgtype = dup_str(&L->tmp, mt))) {
      oom(L);
      stop(L);
      return;
    }
    m->next = NULL;
    m->line = line;
    m->admin = strcmp(cat, "admin") == 0;
    m->items.head = m->items.tail = NULL;
    if (L->mtail) L->mtail->next = m;
    else L->mhead = m;
    L->mtail = m;
    L->nmsgs++;
    list = &m->items;
    kind = E_MESSAGE;
  } else if (parent == E_COMPONENTS) {
    if (strcmp(name, "component") != 0)
      PFAIL(FIXGW_EDICT_SCHEMA, name, "unexpected element in <components>");
    const char *cname = need(L, atts, name, "name");
    if (!cname) return;
    rcomp *c = arena_alloc(&L->tmp, sizeof *c);
    if (!c || !(c->name = dup_str(&L->tmp, cname))) {
      oom(L);
      stop(L);
      return;
    }
    c->next = NULL;
    c->line = line;
    c->state = 0;
    c->items.head = c->items.tail = NULL;
    if (L->ctail) L->ctail->next = c;
    else L->chead = c;
    L->ctail = c;
    L->ncomps++;
    list = &c->items;
    kind = E_COMPDEF;
  } else if (plist) {
    int k;
    if (strcmp(name, "field") == 0) k = K_FIELD;
    else if (strcmp(name, "component") == 0) k = K_COMPONENT;
    else if (strcmp(name, "group") == 0) k = K_GROUP;
    else PFAIL(FIXGW_EDICT_SCHEMA, name, "unexpected element in <%s>", pname);
    const char *iname = need(L, atts, name, "name");
    if (!iname) return;
    const char *r = attr(atts, "required");
    int req = 0;
    if (!r || strcmp(r, "N") == 0 || strcmp(r, "n") == 0) req = 0;
    else if (strcmp(r, "Y") == 0 || strcmp(r, "y") == 0) req = 1;
    else PFAIL(FIXGW_EDICT_SCHEMA, name, "required='%s' is neither Y nor N", r);
    item *it = arena_alloc(&L->tmp, sizeof *it);
    if (!it || !(it->name = dup_str(&L->tmp, iname))) {
      oom(L);
      stop(L);
      return;
    }
    it->next = NULL;
    it->children.head = it->children.tail = NULL;
    it->line = line;
    it->kind = (uint8_t)k;
    it->req = (uint8_t)req;
    it->ref = 0;
    it->scope = -1;
    if (plist->tail) plist->tail->next = it;
    else plist->head = it;
    plist->tail = it;
    if (k == K_GROUP) {
      L->ngroup_items++;
      list = &it->children;
    }
    kind = k == K_FIELD ? E_REF_FIELD : k == K_COMPONENT ? E_REF_COMP : E_GROUP;
  } else {
    PFAIL(FIXGW_EDICT_SCHEMA, name, "unexpected element in <%s>", pname);
  }
  const char *el = dup_str(&L->tmp, name);
  if (!el) {
    oom(L);
    stop(L);
    return;
  }
  L->kind[L->depth] = (uint8_t)kind;
  L->list[L->depth] = list;
  L->elname[L->depth] = el;
  L->depth++;
}

static void on_end(void *ud, const XML_Char *name) {
  loader *L = ud;
  (void)name;
  if (L->rc) return;
  if (L->depth) L->depth--;
}

static int parse_xml(loader *L, const char *xml, size_t len) {
  static const XML_Memory_Handling_Suite ms = {x_malloc, x_realloc, x_free};
  XML_Parser xp = XML_ParserCreate_MM(NULL, &ms, NULL);
  if (!xp) return oom(L);
  L->xp = xp;
  XML_SetUserData(xp, L);
  XML_SetElementHandler(xp, on_start, on_end);
  /* Feed in slices: XML_Parse takes an int length. */
  int status = XML_STATUS_OK;
  size_t off = 0;
  do {
    size_t n = len - off > (1u << 30) ? (1u << 30) : len - off;
    int final = off + n == len;
    status = XML_Parse(xp, xml + off, (int)n, final);
    off += n;
  } while (status == XML_STATUS_OK && off < len);
  if (status != XML_STATUS_OK && !L->rc) {
    enum XML_Error code = XML_GetErrorCode(xp);
    if (code == XML_ERROR_NO_MEMORY) {
      oom(L);
    } else {
      fail(L, FIXGW_EDICT_XML, (uint32_t)XML_GetErrorLineNumber(xp),
           L->depth ? L->elname[L->depth - 1] : "", "%s",
           XML_ErrorString(code));
      if (L->err) L->err->column = (uint32_t)XML_GetErrorColumnNumber(xp);
    }
  }
  XML_ParserFree(xp);
  L->xp = NULL;
  if (!L->rc && !L->have_root)
    return fail(L, FIXGW_EDICT_SCHEMA, 1, "", "no <fix> root element");
  return L->rc;
}

/* ---------------------------------------------------------------- resolve */

static int cmp_value(const void *a, const void *b) {
  const rvalue *x = *(const rvalue *const *)a, *y = *(const rvalue *const *)b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  int c = strcmp(x->val, y->val);
  if (c) return c;
  return x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_field_tag(const void *a, const void *b) {
  const rfield *x = *(const rfield *const *)a, *y = *(const rfield *const *)b;
  return x->tag < y->tag ? -1 : x->tag > y->tag;
}

/* Tag map for duplicate detection: open addressing on tags. */
static int check_fields(loader *L, strmap *names) {
  uint32_t n = L->nfields;
  if (n > FIXGW_DICT_MAX_FIELDS) {
    rfield *f = L->fhead;
    for (uint32_t i = 0; i < FIXGW_DICT_MAX_FIELDS; i++) f = f->next;
    return fail(L, FIXGW_EDICT_LIMIT, f->line, "field", "more than %u fields",
                FIXGW_DICT_MAX_FIELDS);
  }
  L->fields = arena_alloc(&L->tmp, (n ? n : 1) * sizeof *L->fields);
  uint32_t cap = 2;
  while (cap < 2 * (uint64_t)n) cap *= 2;
  rfield **tags = arena_alloc(&L->tmp, cap * sizeof *tags);
  if (!L->fields || !tags || strmap_init(L, names, n)) return oom(L);
  memset(tags, 0, cap * sizeof *tags);
  uint32_t i = 0;
  for (rfield *f = L->fhead; f; f = f->next, i++) {
    L->fields[i] = f;
    uint32_t h = (f->tag * 0x9E3779B1u) & (cap - 1);
    while (tags[h] && tags[h]->tag != f->tag) h = (h + 1) & (cap - 1);
    if (tags[h])
      return fail(L, FIXGW_EDICT_DUP, f->line, "field",
                  "tag %u defined twice (first on line %u)", f->tag,
                  tags[h]->line);
    tags[h] = f;
    int64_t prev = strmap_get(names, f->name, 1, i);
    if (prev >= 0)
      return fail(L, FIXGW_EDICT_DUP, f->line, "field",
                  "field name %s defined twice (first on line %u)", f->name,
                  L->fields[prev]->line);
    if (f->nvalues > FIXGW_DICT_MAX_VALUES_PER_FIELD)
      return fail(L, FIXGW_EDICT_LIMIT, f->line, "field",
                  "field %s has more than %u values", f->name,
                  FIXGW_DICT_MAX_VALUES_PER_FIELD);
    if (!f->nvalues) continue;
    f->vsorted = arena_alloc(&L->tmp, f->nvalues * sizeof *f->vsorted);
    if (!f->vsorted) return oom(L);
    uint32_t j = 0;
    for (rvalue *v = f->vhead; v; v = v->next) f->vsorted[j++] = v;
    qsort(f->vsorted, f->nvalues, sizeof *f->vsorted, cmp_value);
    /* Equal values are now adjacent, in file order; report the one whose
     * second occurrence comes first in the file (what a scan would). */
    const rvalue *dup = NULL;
    for (j = 1; j < f->nvalues; j++) {
      const rvalue *a = f->vsorted[j - 1], *b = f->vsorted[j];
      if (strcmp(a->val, b->val) == 0 && (!dup || b->order < dup->order))
        dup = b;
    }
    if (dup)
      return fail(L, FIXGW_EDICT_DUP, dup->line, "value",
                  "enum value '%s' of %s defined twice", dup->val, f->name);
  }
  return 0;
}

static int check_items(loader *L, strmap *names, strmap *comps, item *it,
                       uint32_t depth);

static int check_comp(loader *L, strmap *names, strmap *cm,
                      rcomp *c, uint32_t depth) {
  c->state = 1;
  int rc = check_items(L, names, cm, c->items.head, depth);
  c->state = 2;
  return rc;
}

static int check_items(loader *L, strmap *names, strmap *cm, item *it0,
                       uint32_t depth) {
  for (item *it = it0; it; it = it->next) {
    static const char *const kn[] = {"field", "component", "group"};
    if (depth > FIXGW_DICT_MAX_DEPTH)
      return fail(L, FIXGW_EDICT_LIMIT, it->line, kn[it->kind],
                  "components and groups nest deeper than %u",
                  FIXGW_DICT_MAX_DEPTH);
    if (it->kind == K_COMPONENT) {
      int64_t c = strmap_get(cm, it->name, 0, 0);
      if (c < 0)
        return fail(L, FIXGW_EDICT_UNDEF, it->line, "component",
                    "undefined component %s", it->name);
      it->ref = (uint32_t)c;
      rcomp *rc = L->comps[c];
      if (rc->state == 1)
        return fail(L, FIXGW_EDICT_CYCLE, it->line, "component",
                    "component %s includes itself", it->name);
      if (rc->state == 0 && check_comp(L, names, cm, rc, depth + 1))
        return L->rc;
    } else {
      int64_t f = strmap_get(names, it->name, 0, 0);
      if (f < 0)
        return fail(L, FIXGW_EDICT_UNDEF, it->line, kn[it->kind],
                    "undefined field %s", it->name);
      it->ref = (uint32_t)f;
      if (it->kind == K_GROUP) {
        if (!it->children.head)
          return fail(L, FIXGW_EDICT_SCHEMA, it->line, "group",
                      "group %s has no fields", it->name);
        if (check_items(L, names, cm, it->children.head, depth + 1))
          return L->rc;
      }
    }
  }
  return 0;
}

static int resolve(loader *L) {
  strmap names, cm, mts, mnames;
  if (check_fields(L, &names)) return L->rc;
  L->comps = arena_alloc(&L->tmp, (L->ncomps ? L->ncomps : 1) * sizeof *L->comps);
  if (!L->comps || strmap_init(L, &cm, L->ncomps)) return oom(L);
  uint32_t i = 0;
  for (rcomp *c = L->chead; c; c = c->next, i++) {
    L->comps[i] = c;
    if (strmap_get(&cm, c->name, 1, i) >= 0)
      return fail(L, FIXGW_EDICT_DUP, c->line, "component",
                  "component %s defined twice", c->name);
  }
  if (strmap_init(L, &mts, L->nmsgs) || strmap_init(L, &mnames, L->nmsgs))
    return oom(L);
  i = 0;
  for (rmsg *m = L->mhead; m; m = m->next, i++) {
    if (strmap_get(&mts, m->msgtype, 1, i) >= 0)
      return fail(L, FIXGW_EDICT_DUP, m->line, "message",
                  "msgtype '%s' defined twice", m->msgtype);
    if (strmap_get(&mnames, m->name, 1, i) >= 0)
      return fail(L, FIXGW_EDICT_DUP, m->line, "message",
                  "message name %s defined twice", m->name);
  }
  if (L->nmsgs > FIXGW_DICT_MAX_MSGS) {
    rmsg *m = L->mhead;
    for (i = 0; i < FIXGW_DICT_MAX_MSGS; i++) m = m->next;
    return fail(L, FIXGW_EDICT_LIMIT, m->line, "message",
                "more than %u messages", FIXGW_DICT_MAX_MSGS);
  }
  if (check_items(L, &names, &cm, L->header.head, 1) ||
      check_items(L, &names, &cm, L->trailer.head, 1))
    return L->rc;
  for (rmsg *m = L->mhead; m; m = m->next)
    if (check_items(L, &names, &cm, m->items.head, 1)) return L->rc;
  for (rcomp *c = L->chead; c; c = c->next)
    if (c->state == 0 && check_comp(L, &names, &cm, c, 1)) return L->rc;

  /* Dense field index: tag order. */
  uint32_t n = L->nfields;
  L->sorted = arena_alloc(&L->tmp, (n ? n : 1) * sizeof *L->sorted);
  if (!L->sorted) return oom(L);
  if (n) memcpy(L->sorted, L->fields, n * sizeof *L->sorted);
  qsort(L->sorted, n, sizeof *L->sorted, cmp_field_tag);
  for (i = 0; i < n; i++) L->sorted[i]->dense = i;
  return 0;
}

/* ------------------------------------------------------------ build scopes */

static const char *kind_name(const item *it) {
  return it->kind == K_FIELD ? "field"
         : it->kind == K_COMPONENT ? "component" : "group";
}

static int build_group(loader *L, item *it, uint32_t depth, uint32_t *out);

static int expand(loader *L, item *items, int chain, uint32_t depth) {
  if (items && depth > FIXGW_DICT_MAX_DEPTH)
    return fail(L, FIXGW_EDICT_LIMIT, items->line, kind_name(items),
                "components and groups nest deeper than %u",
                FIXGW_DICT_MAX_DEPTH);
  for (item *it = items; it; it = it->next) {
    if (--L->budget < 0)
      return fail(L, FIXGW_EDICT_LIMIT, it->line, kind_name(it),
                  "components expand to more than %u fields in all",
                  MAX_EXPANSION);
    if (it->kind == K_COMPONENT) {
      if (expand(L, L->comps[it->ref]->items.head, chain && it->req,
                 depth + 1))
        return L->rc;
      continue;
    }
    uint32_t g = FIXGW_DICT_NONE;
    if (it->kind == K_GROUP && build_group(L, it, depth + 1, &g)) return L->rc;
    rmember *m = vec_push(L, &L->raw);
    if (!m) return oom(L);
    m->field = (uint16_t)L->fields[it->ref]->dense;
    m->group = (uint16_t)g;
    m->flags = (uint8_t)((it->req && chain ? FIXGW_DICT_M_REQUIRED : 0) |
                         (it->kind == K_GROUP ? FIXGW_DICT_M_GROUP : 0));
    m->it = it;
  }
  return 0;
}

static uint32_t scope_bits(uint32_t n) {
  uint32_t b = 1;
  while (2u * (1u << b) < 3u * n) b++;
  return b;
}

static uint64_t scope_hash(uint32_t count, const fixgw_dict_member_t *m,
                           uint32_t n) {
  uint64_t h = 1469598103934665603ull ^ count;
  for (uint32_t i = 0; i < n; i++)
    h = (h ^ ((uint64_t)m[i].field | (uint64_t)m[i].group << 16 |
              (uint64_t)m[i].flags << 32)) * 1099511628211ull;
  return h ^ (h >> 29);
}

/* Turn raw[base..] into a scope: dedupe, limit, intern (groups). */
static int finish(loader *L, int kind, uint32_t count, size_t base,
                  uint32_t *out) {
  rmember *raw = (rmember *)L->raw.p + base;
  size_t nraw = L->raw.n - base;
  size_t mbase = L->members.n;
  uint32_t id = ++L->build_id;
  for (size_t i = 0; i < nraw; i++) {
    const rmember *r = &raw[i];
    if (L->stamp[r->field] == id) {
      fixgw_dict_member_t *p =
          (fixgw_dict_member_t *)L->members.p + mbase + L->pos[r->field];
      if ((p->flags & FIXGW_DICT_M_GROUP) != (r->flags & FIXGW_DICT_M_GROUP) ||
          p->group != r->group)
        return fail(L, FIXGW_EDICT_DUP, r->it->line, kind_name(r->it),
                    "%s appears twice in one message or group with different "
                    "meanings",
                    L->sorted[r->field]->name);
      p->flags |= r->flags & FIXGW_DICT_M_REQUIRED;
      continue;
    }
    L->stamp[r->field] = id;
    L->pos[r->field] = (uint32_t)(L->members.n - mbase);
    fixgw_dict_member_t *m = vec_push(L, &L->members);
    if (!m) return oom(L);
    m->field = r->field;
    m->group = r->group;
    m->flags = r->flags;
    m->reserved_ = 0;
  }
  size_t n = L->members.n - mbase;
  if (n > FIXGW_DICT_MAX_SCOPE_MEMBERS)
    return fail(L, FIXGW_EDICT_LIMIT, raw[0].it->line, kind_name(raw[0].it),
                "a message or group has more than %u fields",
                FIXGW_DICT_MAX_SCOPE_MEMBERS);
  const fixgw_dict_member_t *mem = (fixgw_dict_member_t *)L->members.p + mbase;
  uint32_t h = 0;
  if (kind == FIXGW_DICT_SCOPE_GROUP) {
    h = (uint32_t)scope_hash(count, mem, (uint32_t)n) & L->intern_mask;
    for (; L->intern[h]; h = (h + 1) & L->intern_mask) {
      const fixgw_dict_scope_t *s =
          (fixgw_dict_scope_t *)L->scopes.p + L->intern[h] - 1;
      if (s->count_field == count && s->nmembers == n &&
          memcmp((fixgw_dict_member_t *)L->members.p + s->members, mem,
                 n * sizeof *mem) == 0) {
        L->members.n = mbase; /* same group seen before: drop the copy */
        *out = L->intern[h] - 1;
        return 0;
      }
    }
  }
  if (L->scopes.n >= FIXGW_DICT_MAX_SCOPES)
    return fail(L, FIXGW_EDICT_LIMIT, nraw ? raw[0].it->line : 0, "group",
                "more than %u groups and messages", FIXGW_DICT_MAX_SCOPES);
  fixgw_dict_scope_t *s = vec_push(L, &L->scopes);
  if (!s) return oom(L);
  memset(s, 0, sizeof *s);
  s->members = (uint32_t)mbase;
  s->nmembers = (uint16_t)n;
  s->count_field = (uint16_t)count;
  s->kind = (uint8_t)kind;
  *out = (uint32_t)(L->scopes.n - 1);
  if (kind == FIXGW_DICT_SCOPE_GROUP) L->intern[h] = *out + 1;
  return 0;
}

static int build_group(loader *L, item *it, uint32_t depth, uint32_t *out) {
  if (it->scope >= 0) {
    *out = (uint32_t)it->scope;
    return 0;
  }
  size_t base = L->raw.n;
  if (expand(L, it->children.head, 1, depth) ||
      finish(L, FIXGW_DICT_SCOPE_GROUP, L->fields[it->ref]->dense, base, out))
    return L->rc;
  L->raw.n = base;
  it->scope = (int32_t)*out;
  return 0;
}

static int build_body(loader *L, int kind, item *items, uint32_t *out) {
  size_t base = L->raw.n;
  if (expand(L, items, 1, 1) ||
      finish(L, kind, FIXGW_DICT_NONE, base, out))
    return L->rc;
  L->raw.n = base;
  return 0;
}

static int build(loader *L, uint32_t *header, uint32_t *trailer) {
  uint32_t n = L->nfields ? L->nfields : 1;
  L->stamp = arena_alloc(&L->tmp, n * sizeof *L->stamp);
  L->pos = arena_alloc(&L->tmp, n * sizeof *L->pos);
  uint32_t cap = 2;
  while (cap < 2 * (uint64_t)L->ngroup_items) cap *= 2;
  L->intern = arena_alloc(&L->tmp, cap * sizeof *L->intern);
  if (!L->stamp || !L->pos || !L->intern) return oom(L);
  memset(L->stamp, 0, n * sizeof *L->stamp);
  memset(L->intern, 0, cap * sizeof *L->intern);
  L->intern_mask = cap - 1;
  L->budget = MAX_EXPANSION;
  L->raw.elt = sizeof(rmember);
  L->members.elt = sizeof(fixgw_dict_member_t);
  L->scopes.elt = sizeof(fixgw_dict_scope_t);
  /* Give the vectors storage up front: an empty first scope must not
   * compute offsets from a null pointer. */
  if (!vec_push(L, &L->raw) || !vec_push(L, &L->members) ||
      !vec_push(L, &L->scopes))
    return oom(L);
  L->raw.n = L->members.n = L->scopes.n = 0;
  if (build_body(L, FIXGW_DICT_SCOPE_HEADER, L->header.head, header) ||
      build_body(L, FIXGW_DICT_SCOPE_TRAILER, L->trailer.head, trailer))
    return L->rc;
  for (rmsg *m = L->mhead; m; m = m->next)
    if (build_body(L, FIXGW_DICT_SCOPE_BODY, m->items.head, &m->body))
      return L->rc;
  return 0;
}

/* ----------------------------------------------------------------- freeze */

typedef struct pool {
  char *p;
  uint32_t n, cap;
} pool;

static uint32_t pool_add(pool *P, const char *s) {
  size_t n = strlen(s);
  if (n == 0) return 0; /* offset 0 is the empty string */
  uint32_t off = P->n;
  memcpy(P->p + off, s, n + 1);
  P->n += (uint32_t)n + 1;
  return off;
}

static uint32_t msg_bits(uint32_t n) {
  uint32_t b = 1;
  while ((1u << b) < 2u * n) b++;
  return b;
}

static int cmp_pair(const void *a, const void *b) {
  const fixgw_data_pair_t *x = a, *y = b;
  if (x->len_tag != y->len_tag) return x->len_tag < y->len_tag ? -1 : 1;
  return x->data_tag < y->data_tag ? -1 : x->data_tag > y->data_tag;
}

/* Allocate in the output arena; NULL-safe count 0 gives a valid pointer. */
#define OUT_ARRAY(ptr, count) \
  ((ptr) = arena_alloc(L->out, ((count) ? (count) : 1) * sizeof *(ptr)))

static int freeze(loader *L, fixgw_dict_t *d, uint32_t header,
                  uint32_t trailer) {
  uint32_t nf = L->nfields, nm = L->nmsgs;
  uint32_t nsc = (uint32_t)L->scopes.n, nmem = (uint32_t)L->members.n;
  const fixgw_dict_scope_t *sc = L->scopes.p;
  const fixgw_dict_member_t *mem = L->members.p;

  /* Strings: sizes first, then one pool. */
  uint64_t bytes = 1;
  uint32_t nv = 0;
  for (uint32_t i = 0; i < nf; i++) {
    const rfield *f = L->sorted[i];
    bytes += strlen(f->name) + 1;
    for (const rvalue *v = f->vhead; v; v = v->next)
      bytes += strlen(v->val) + strlen(v->desc) + 2;
    nv += f->nvalues;
  }
  for (const rmsg *m = L->mhead; m; m = m->next)
    bytes += strlen(m->name) + strlen(m->msgtype) + 2;
  if (bytes > UINT32_MAX)
    return fail(L, FIXGW_EDICT_LIMIT, 0, "", "strings exceed 4 GiB");
  pool P = {NULL, 1, (uint32_t)bytes};
  if (!(P.p = arena_alloc(L->out, bytes))) return oom(L);
  P.p[0] = 0;

  fixgw_dict_field_t *F;
  fixgw_dict_value_t *V;
  fixgw_dict_msg_t *M;
  fixgw_dict_scope_t *S;
  fixgw_dict_member_t *MB;
  fixgw_group_layout_t *LY;
  const fixgw_group_layout_t **LN;
  uint32_t *LT;
  uint16_t *SL, *TD, *MS;
  fixgw_data_pair_t *DP;
  if (!OUT_ARRAY(F, nf) || !OUT_ARRAY(V, nv) || !OUT_ARRAY(M, nm) ||
      !OUT_ARRAY(S, nsc) || !OUT_ARRAY(MB, nmem) || !OUT_ARRAY(LY, nsc))
    return oom(L);

  uint32_t nv_i = 0;
  for (uint32_t i = 0; i < nf; i++) {
    const rfield *f = L->sorted[i];
    F[i].tag = f->tag;
    F[i].name = pool_add(&P, f->name);
    F[i].values = f->nvalues ? nv_i : 0;
    F[i].nvalues = (uint16_t)f->nvalues;
    F[i].type = f->type;
    F[i].reserved_ = 0;
    for (uint32_t j = 0; j < f->nvalues; j++, nv_i++) {
      const rvalue *v = f->vsorted[j];
      V[nv_i].key = v->key;
      V[nv_i].value = pool_add(&P, v->val);
      V[nv_i].desc = pool_add(&P, v->desc);
    }
  }

  /* Scopes, slots, layouts. */
  uint64_t nslots = 0, nlt = 0, nln = 0;
  for (uint32_t s = 0; s < nsc; s++) {
    nslots += 1u << scope_bits(sc[s].nmembers);
    if (sc[s].kind == FIXGW_DICT_SCOPE_GROUP) nlt += sc[s].nmembers;
    for (uint32_t j = 0; j < sc[s].nmembers; j++)
      nln += (mem[sc[s].members + j].flags & FIXGW_DICT_M_GROUP) != 0;
  }
  if (nslots > UINT32_MAX)
    return fail(L, FIXGW_EDICT_LIMIT, 0, "", "scope tables too large");
  if (!OUT_ARRAY(SL, nslots) || !OUT_ARRAY(LT, nlt) || !OUT_ARRAY(LN, nln))
    return oom(L);
  memcpy(MB, mem, nmem * sizeof *MB);
  memset(SL, 0, nslots * sizeof *SL);
  uint32_t sl = 0, lt = 0, ln = 0, ngroups = 0;
  for (uint32_t s = 0; s < nsc; s++) {
    const fixgw_dict_scope_t *src = &sc[s];
    const fixgw_dict_member_t *m = mem + src->members;
    uint32_t bits = scope_bits(src->nmembers), mask = (1u << bits) - 1;
    int grp = src->kind == FIXGW_DICT_SCOPE_GROUP;
    S[s] = *src;
    S[s].slots = sl;
    S[s].slot_bits = (uint8_t)bits;
    S[s].nrequired = 0;
    for (uint32_t j = 0; j < src->nmembers; j++) {
      uint32_t h = fixgw_dict_slot_hash(m[j].field, bits);
      while (SL[sl + h]) h = (h + 1) & mask;
      SL[sl + h] = (uint16_t)(j + 1);
      S[s].nrequired += (m[j].flags & FIXGW_DICT_M_REQUIRED) != 0;
    }
    sl += 1u << bits;
    fixgw_group_layout_t *y = &LY[s];
    y->count_tag = grp ? F[src->count_field].tag : 0;
    y->delim_tag = grp ? F[m[0].field].tag : 0;
    y->tags = grp ? LT + lt : NULL;
    y->ntags = grp ? src->nmembers : 0;
    y->nested = NULL;
    y->nnested = 0;
    for (uint32_t j = 0; j < src->nmembers; j++) {
      if (grp) LT[lt++] = F[m[j].field].tag;
      if (m[j].flags & FIXGW_DICT_M_GROUP) {
        if (!y->nnested) y->nested = LN + ln;
        LN[ln++] = &LY[m[j].group];
        y->nnested++;
      }
    }
    ngroups += grp;
  }

  /* Messages. */
  uint32_t mbits = msg_bits(nm);
  if (!OUT_ARRAY(MS, 1u << mbits)) return oom(L);
  memset(MS, 0, (1u << mbits) * sizeof *MS);
  uint32_t i = 0;
  for (const rmsg *m = L->mhead; m; m = m->next, i++) {
    size_t len = strlen(m->msgtype);
    M[i].key = fixgw_dict_key(m->msgtype, len);
    M[i].name = pool_add(&P, m->name);
    M[i].msgtype = pool_add(&P, m->msgtype);
    M[i].body = (uint16_t)m->body;
    M[i].msgtype_len = (uint8_t)len;
    M[i].category = m->admin ? FIXGW_DICT_ADMIN : FIXGW_DICT_APP;
    uint32_t h = fixgw_dict_msg_hash(M[i].key, mbits);
    while (MS[h]) h = (h + 1) & ((1u << mbits) - 1);
    MS[h] = (uint16_t)(i + 1);
  }

  /* Tag index. */
  uint32_t ndirect = 0;
  if (nf) {
    uint32_t maxtag = F[nf - 1].tag;
    ndirect = maxtag + 1 < FIXGW_DICT_DIRECT_TAGS ? maxtag + 1
                                                  : FIXGW_DICT_DIRECT_TAGS;
  }
  if (!OUT_ARRAY(TD, ndirect)) return oom(L);
  memset(TD, 0, (ndirect ? ndirect : 1) * sizeof *TD);
  for (i = 0; i < nf && F[i].tag < ndirect; i++) TD[F[i].tag] = (uint16_t)(i + 1);

  /* Data pairs: DATA/XMLDATA and the LENGTH named <name>Len, <name>Length,
   * or else the LENGTH one tag below. */
  uint32_t np = 0;
  for (i = 0; i < nf; i++)
    np += F[i].type == FIXGW_FT_DATA || F[i].type == FIXGW_FT_XMLDATA;
  if (!OUT_ARRAY(DP, np)) return oom(L);
  np = 0;
  for (i = 0; i < nf; i++) {
    if (F[i].type != FIXGW_FT_DATA && F[i].type != FIXGW_FT_XMLDATA) continue;
    const char *name = P.p + F[i].name;
    size_t n = strlen(name);
    char *buf = arena_alloc(&L->tmp, n + 7);
    if (!buf) return oom(L);
    const fixgw_dict_field_t *lf = NULL;
    static const char *const sfx[2] = {"Len", "Length"};
    for (int k = 0; k < 2 && !lf; k++) {
      memcpy(buf, name, n);
      memcpy(buf + n, sfx[k], strlen(sfx[k]) + 1);
      for (uint32_t j = 0; j < nf; j++) {
        if (strcmp(L->sorted[j]->name, buf) == 0) {
          if (F[j].type == FIXGW_FT_LENGTH) lf = &F[j];
          break;
        }
      }
    }
    if (!lf && F[i].tag > 1) {
      for (uint32_t j = 0; j < nf; j++)
        if (F[j].tag == F[i].tag - 1 && F[j].type == FIXGW_FT_LENGTH) lf = &F[j];
    }
    if (lf) {
      DP[np].len_tag = lf->tag;
      DP[np].data_tag = F[i].tag;
      np++;
    }
  }
  qsort(DP, np, sizeof *DP, cmp_pair);

  d->major = L->major;
  d->minor = L->minor;
  d->servicepack = L->sp;
  d->transport = L->transport;
  d->header = (uint16_t)header;
  d->trailer = (uint16_t)trailer;
  d->strings = P.p;
  d->strings_len = P.n;
  d->nfields = nf;
  d->nvalues = nv;
  d->nmsgs = nm;
  d->nscopes = nsc;
  d->ngroups = ngroups;
  d->nmembers = nmem;
  d->nslots = (uint32_t)nslots;
  d->ntag_direct = ndirect;
  d->msg_slot_bits = mbits;
  d->ndata_pairs = np;
  d->fields = F;
  d->values = V;
  d->msgs = M;
  d->scopes = S;
  d->members = MB;
  d->slots = SL;
  d->tag_direct = TD;
  d->msg_slots = MS;
  d->layouts = LY;
  d->data_pairs = DP;
  return 0;
}

/* ------------------------------------------------------------------ public */

int fixgw_dict_load_mem(const char *xml, size_t len, const char *name,
                        const fixgw_allocator_t *allocator, fixgw_dict_t **out,
                        fixgw_dict_error_t *err) {
  if (err) memset(err, 0, sizeof *err);
  if (err) err->file = name;
  if (!out || (!xml && len)) {
    if (err) {
      err->code = FIXGW_EINVAL;
      snprintf(err->message, sizeof err->message, "invalid argument");
    }
    return FIXGW_EINVAL;
  }
  loader *L = fixgw__alloc(allocator, sizeof *L);
  if (!L) {
    if (err) {
      err->code = FIXGW_ENOMEM;
      snprintf(err->message, sizeof err->message, "out of memory");
    }
    return FIXGW_ENOMEM;
  }
  memset(L, 0, sizeof *L);
  if (allocator) L->tmp.a = *allocator;
  L->err = err;
  L->file = name;

  /* The output arena's bookkeeping lives in its own first chunk. */
  arena boot = {L->tmp.a, NULL};
  arena *outa = arena_alloc(&boot, sizeof *outa);
  fixgw_dict_t *d = NULL;
  if (!outa) {
    oom(L);
  } else {
    *outa = boot;
    L->out = outa;
    d = arena_alloc(outa, sizeof *d);
    if (!d) oom(L);
  }

  const fixgw_allocator_t *saved = tl_alloc;
  tl_alloc = &L->tmp.a;
  uint32_t header = 0, trailer = 0;
  if (!L->rc && !parse_xml(L, xml ? xml : "", len) && !resolve(L) &&
      !build(L, &header, &trailer)) {
    memset(d, 0, sizeof *d);
    freeze(L, d, header, trailer);
  }
  tl_alloc = saved;

  int rc = L->rc;
  arena_free(&L->tmp);
  if (rc) {
    if (outa) {
      arena tmp = *outa; /* outa lives inside the chunks it frees */
      arena_free(&tmp);
    }
  } else {
    d->owner_ = outa;
    *out = d;
  }
  fixgw__free(allocator, L);
  return rc;
}

int fixgw_dict_load_file(const char *path, const fixgw_allocator_t *allocator,
                         fixgw_dict_t **out, fixgw_dict_error_t *err) {
  if (err) memset(err, 0, sizeof *err);
  if (err) err->file = path;
  if (!path || !out) {
    if (err) {
      err->code = FIXGW_EINVAL;
      snprintf(err->message, sizeof err->message, "invalid argument");
    }
    return FIXGW_EINVAL;
  }
  FILE *fp = fopen(path, "rb");
  long size = -1;
  if (fp && fseek(fp, 0, SEEK_END) == 0) size = ftell(fp);
  if (!fp || size < 0 || fseek(fp, 0, SEEK_SET) != 0) {
    if (fp) fclose(fp);
    if (err) {
      err->code = FIXGW_EIO;
      snprintf(err->message, sizeof err->message, "cannot open or size file");
    }
    return FIXGW_EIO;
  }
  char *buf = fixgw__alloc(allocator, (size_t)size + 1);
  if (!buf) {
    fclose(fp);
    if (err) {
      err->code = FIXGW_ENOMEM;
      snprintf(err->message, sizeof err->message, "out of memory");
    }
    return FIXGW_ENOMEM;
  }
  size_t got = fread(buf, 1, (size_t)size, fp);
  int rerr = ferror(fp);
  fclose(fp);
  if (got != (size_t)size || rerr) {
    fixgw__free(allocator, buf);
    if (err) {
      err->code = FIXGW_EIO;
      snprintf(err->message, sizeof err->message, "read error");
    }
    return FIXGW_EIO;
  }
  int rc = fixgw_dict_load_mem(buf, (size_t)size, path, allocator, out, err);
  fixgw__free(allocator, buf);
  return rc;
}

void fixgw_dict_free(fixgw_dict_t *d) {
  if (!d || !d->owner_) return;
  arena tmp = *(arena *)d->owner_;
  arena_free(&tmp);
}

int fixgw_dict_error_format(const fixgw_dict_error_t *e, char *buf,
                            size_t n) {
  if (!e) return snprintf(buf, n, "(no error)");
  return snprintf(buf, n, "%s:%u: <%s>: %s (%s)", e->file ? e->file : "(dict)",
                  e->line, e->element, e->message, fixgw_err_name(e->code));
}
