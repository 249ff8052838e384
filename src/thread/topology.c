/* CPU topology from sysfs, and the I/O-thread placement proposal. The root
 * is a parameter so tests can feed fake trees, malformed files included. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixgw/thread.h"

#define DEFAULT_ROOT "/sys/devices/system/cpu"
#define PATH_CAP 512
#define FILE_CAP 4096 /* a 1024-CPU list is far shorter */

static void set_error(fixgw_topology_t *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->error, sizeof t->error, fmt, ap);
  va_end(ap);
}

/* Reads root/rel into buf (NUL-terminated). 1 = read, 0 = absent (ENOENT),
 * negative = error (t->error set). A file that fills the buffer is treated as
 * malformed rather than silently cut. */
static int read_file(fixgw_topology_t *t, const char *root, const char *rel,
                     char *buf, size_t *len) {
  char path[PATH_CAP];
  int n = snprintf(path, sizeof path, "%s/%s", root, rel);
  if (n < 0 || (size_t)n >= sizeof path) {
    set_error(t, "%s: path too long", rel);
    return FIXGW_EINVAL;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return 0;
    int e = errno;
    set_error(t, "%s: %s", rel, strerror(e));
    errno = e;
    return FIXGW_ESYS;
  }
  size_t got = 0;
  for (;;) {
    ssize_t r = read(fd, buf + got, FILE_CAP - 1 - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      set_error(t, "%s: %s", rel, strerror(e));
      errno = e;
      return FIXGW_ESYS;
    }
    if (r == 0) break;
    got += (size_t)r;
    if (got == FILE_CAP - 1) {
      close(fd);
      set_error(t, "%s: larger than %d bytes", rel, FILE_CAP - 1);
      return FIXGW_EFORMAT;
    }
  }
  close(fd);
  buf[got] = 0;
  *len = got;
  return 1;
}

/* A signed decimal integer alone on its line ("-1" is legal for unknown
 * package ids on some architectures). */
static int parse_int(const char *s, size_t len, int32_t *out) {
  while (len && (s[len - 1] == '\n' || s[len - 1] == ' ')) len--;
  size_t i = 0;
  int neg = 0;
  long v = 0;
  if (i < len && s[i] == '-') {
    neg = 1;
    i++;
  }
  if (i == len) return FIXGW_EFORMAT;
  for (; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return FIXGW_EFORMAT;
    v = v * 10 + (s[i] - '0');
    if (v > INT32_MAX) return FIXGW_ERANGE;
  }
  *out = (int32_t)(neg ? -v : v);
  return 0;
}

static int load_list(fixgw_topology_t *t, const char *root, const char *rel,
                     fixgw_cpuset_t *s, int required) {
  char buf[FILE_CAP];
  size_t len = 0;
  int rc = read_file(t, root, rel, buf, &len);
  if (rc < 0) return rc;
  if (rc == 0) {
    if (required) {
      set_error(t, "%s: missing", rel);
      errno = ENOENT;
      return FIXGW_ESYS;
    }
    fixgw_cpuset_zero(s);
    return 0;
  }
  rc = fixgw_cpuset_parse(s, buf, len);
  if (rc == FIXGW_EFORMAT) set_error(t, "%s: not a CPU list", rel);
  if (rc == FIXGW_ERANGE) set_error(t, "%s: CPU number >= %d", rel, FIXGW_CPU_MAX);
  return rc;
}

static int load_int(fixgw_topology_t *t, const char *root, const char *rel,
                    int32_t *out) {
  char buf[FILE_CAP];
  size_t len = 0;
  int rc = read_file(t, root, rel, buf, &len);
  if (rc <= 0) return rc; /* absent keeps *out */
  rc = parse_int(buf, len, out);
  if (rc == FIXGW_EFORMAT) set_error(t, "%s: not a decimal integer", rel);
  if (rc == FIXGW_ERANGE) set_error(t, "%s: out of range", rel);
  return rc;
}

/* NUMA node from the "nodeN" link in the CPU's directory. */
static void load_node(const char *root, int cpu, int32_t *node) {
  char path[PATH_CAP];
  int n = snprintf(path, sizeof path, "%s/cpu%d", root, cpu);
  if (n < 0 || (size_t)n >= sizeof path) return;
  DIR *d = opendir(path);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, "node", 4) != 0 || e->d_name[4] == 0) continue;
    int32_t v;
    if (parse_int(e->d_name + 4, strlen(e->d_name + 4), &v) == 0 && v >= 0) {
      *node = v;
      break;
    }
  }
  closedir(d);
}

int fixgw_topology_load(fixgw_topology_t *t, const char *sysfs_root) {
  if (!t) return FIXGW_EINVAL;
  memset(t, 0, sizeof *t);
  if (!sysfs_root) {
#ifdef __linux__
    sysfs_root = DEFAULT_ROOT;
#else
    set_error(t, "no sysfs on this system");
    return FIXGW_ENOTSUP;
#endif
  }
  if (strlen(sysfs_root) > PATH_CAP - 64) {
    set_error(t, "sysfs root too long");
    return FIXGW_EINVAL;
  }
  int rc = load_list(t, sysfs_root, "online", &t->online, 1);
  if (rc) return rc;
  if (fixgw_cpuset_count(&t->online) == 0) {
    set_error(t, "online: no CPU listed");
    return FIXGW_EFORMAT;
  }
  fixgw_cpuset_t iso;
  rc = load_list(t, sysfs_root, "isolated", &iso, 0);
  if (rc) return rc;

  int32_t pkgs_seen[64];
  int npkgs = 0;
  for (int c = fixgw_cpuset_next(&t->online, 0); c >= 0;
       c = fixgw_cpuset_next(&t->online, c + 1)) {
    fixgw_cpu_info_t *ci = &t->cpu[c];
    char rel[96];
    ci->online = 1;
    ci->core_id = -1;
    ci->package_id = -1;
    ci->numa_node = -1;
    if (fixgw_cpuset_has(&iso, c)) {
      ci->isolated = 1;
      fixgw_cpuset_add(&t->isolated, c);
    }
    snprintf(rel, sizeof rel, "cpu%d/topology/core_id", c);
    if ((rc = load_int(t, sysfs_root, rel, &ci->core_id)) != 0) return rc;
    snprintf(rel, sizeof rel, "cpu%d/topology/physical_package_id", c);
    if ((rc = load_int(t, sysfs_root, rel, &ci->package_id)) != 0) return rc;
    fixgw_cpuset_t sib;
    snprintf(rel, sizeof rel, "cpu%d/topology/thread_siblings_list", c);
    if ((rc = load_list(t, sysfs_root, rel, &sib, 0)) != 0) return rc;
    if (fixgw_cpuset_count(&sib) == 0) {
      fixgw_cpuset_add(&sib, c); /* absent: a core of its own */
    } else if (!fixgw_cpuset_has(&sib, c)) {
      set_error(t, "%s: does not contain cpu%d", rel, c);
      return FIXGW_EFORMAT;
    }
    ci->core_first = fixgw_cpuset_next(&sib, 0);
    int nsib = 0;
    for (int s = ci->core_first; s >= 0; s = fixgw_cpuset_next(&sib, s + 1))
      nsib += fixgw_cpuset_has(&t->online, s);
    ci->nsiblings = (uint16_t)nsib;
    load_node(sysfs_root, c, &ci->numa_node);

    if (c + 1 > t->ncpus) t->ncpus = c + 1;
    t->nonline++;
    int known = 0;
    for (int i = 0; i < npkgs; i++) known |= pkgs_seen[i] == ci->package_id;
    if (!known && npkgs < 64) pkgs_seen[npkgs++] = ci->package_id;
  }
  /* A core counts once, at its lowest online thread. Siblings that point at
   * different cores (inconsistent files) would be double counted; we do not
   * try to repair that, the counts only inform. */
  for (int c = 0; c < t->ncpus; c++) {
    if (!t->cpu[c].online) continue;
    int first = 1;
    for (int d = 0; d < c; d++)
      if (t->cpu[d].online && t->cpu[d].core_first == t->cpu[c].core_first) first = 0;
    t->ncores += first;
  }
  t->npackages = npkgs;
  return 0;
}

/* 2: every online thread of the core is isolated, 1: some are, 0: none. */
static int iso_score(const fixgw_topology_t *t, int core) {
  int all = 1, any = 0;
  for (int c = 0; c < t->ncpus; c++) {
    if (!t->cpu[c].online || t->cpu[c].core_first != core) continue;
    if (t->cpu[c].isolated) any = 1;
    else all = 0;
  }
  return any ? 1 + all : 0;
}

int fixgw_topology_place_io(const fixgw_topology_t *t, fixgw_placement_t *out) {
  if (!t || !out || t->nonline <= 0 || t->ncpus > FIXGW_CPU_MAX) return FIXGW_EINVAL;
  memset(out, 0, sizeof *out);
  /* Best core: the most isolated (fully beats partly beats none), then the
   * highest, away from CPU 0 where housekeeping and interrupts gather. */
  int chosen = -1, best = -1;
  for (int c = 0; c < t->ncpus; c++) {
    const fixgw_cpu_info_t *ci = &t->cpu[c];
    if (!ci->online) continue;
    int score = iso_score(t, ci->core_first);
    if (score > best || (score == best && ci->core_first > chosen)) {
      best = score;
      chosen = ci->core_first;
    }
  }
  if (chosen < 0) return FIXGW_EINVAL;
  int want_iso = best > 0;
  out->io_cpu = -1;
  for (int c = 0; c < t->ncpus; c++) {
    const fixgw_cpu_info_t *ci = &t->cpu[c];
    if (!ci->online || ci->core_first != chosen) continue;
    /* On an isolated core take its lowest isolated thread. */
    if (out->io_cpu < 0 && (!want_iso || ci->isolated)) {
      out->io_cpu = c;
      out->io_isolated = ci->isolated;
    }
  }
  for (int c = 0; c < t->ncpus; c++) {
    const fixgw_cpu_info_t *ci = &t->cpu[c];
    if (!ci->online || c == out->io_cpu) continue;
    fixgw_cpuset_add(ci->core_first == chosen ? &out->idle : &out->others, c);
  }
  if (fixgw_cpuset_count(&out->others) == 0) {
    out->others = t->online;
    out->crowded = 1;
  }
  return 0;
}
