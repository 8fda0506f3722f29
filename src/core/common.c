/* common.c - error formatting, checked allocation, the RNG, whole-file reads and atomic writes. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int err_set(char *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, ERR_LEN, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int size_mul(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}

void *xcalloc(size_t n, size_t size) {
    size_t total;
    if (size_mul(n, size, &total) != 0) return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *xmalloc_array(size_t n, size_t size) {
    size_t total;
    if (size_mul(n, size, &total) != 0) return NULL;
    return malloc(total ? total : 1);
}

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void rng_seed(Rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(Rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_uniform(Rng *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

double rng_normal(Rng *r) {
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint32_t rng_below(Rng *r, uint32_t n) { return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32); }

void rng_shuffle_int(Rng *r, int *a, int n) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(r, (uint32_t)i + 1);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

int file_read_all(const char *path, uint8_t **buf, size_t *len, char *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_set(err, "%s: %s", path, strerror(errno));
    return file_read_fd(fd, path, buf, len, err);
}

int file_read_fd(int fd, const char *path, uint8_t **buf, size_t *len, char *err) {
    /* one buffer sized from the file (plus a byte, to see the end in the same pass); grown by
     * doubling only for files whose size is not known in advance (pipes) or that grow */
    struct stat st;
    size_t cap = 1 << 16, n = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 && (uint64_t)st.st_size < SIZE_MAX / 2)
        cap = (size_t)st.st_size + 1;
    uint8_t *data = malloc(cap);
    if (!data) {
        close(fd);
        return err_set(err, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap > SIZE_MAX / 2) break;
            uint8_t *bigger = realloc(data, cap * 2);
            if (!bigger) {
                free(data);
                close(fd);
                return err_set(err, "%s: out of memory", path);
            }
            data = bigger;
            cap *= 2;
        }
        size_t want = cap - n > ((size_t)1 << 30) ? (size_t)1 << 30 : cap - n;
        ssize_t got = read(fd, data + n, want);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            int e = errno;
            free(data);
            close(fd);
            return err_set(err, "%s: read error: %s", path, strerror(e));
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    close(fd);
    *buf = data;
    *len = n;
    return 0;
}

/* After a rename the directory entry itself must reach the disk for the new file to survive a
 * power cut; failure here is not an error of the write (the data is complete either way). */
static void sync_parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int atomic_open(AtomicWriter *w, const char *path, char *err) {
    memset(w, 0, sizeof *w);
    w->fd = -1;
    size_t plen = strlen(path);
    w->path = malloc(plen + 1);
    w->tmp = malloc(plen + 32);
    if (!w->path || !w->tmp) {
        free(w->path);
        free(w->tmp);
        return err_set(err, "%s: out of memory", path);
    }
    memcpy(w->path, path, plen + 1);
    snprintf(w->tmp, plen + 32, "%s.%ld.tmp", path, (long)getpid());
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (w->fd < 0) {
        err_set(err, "%s: cannot create temporary file: %s", path, strerror(errno));
        free(w->path);
        free(w->tmp);
        return -1;
    }
    return 0;
}

int atomic_write(AtomicWriter *w, const void *data, size_t len) {
    const uint8_t *p = data;
    while (!w->err_no && len > 0) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            w->err_no = errno;
            break;
        }
        p += n;
        len -= (size_t)n;
    }
    return w->err_no ? -1 : 0;
}

void atomic_abort(AtomicWriter *w) {
    if (w->fd >= 0) close(w->fd);
    if (w->tmp) unlink(w->tmp);
    free(w->tmp);
    free(w->path);
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

int atomic_commit(AtomicWriter *w, char *err) {
    if (!w->err_no && fsync(w->fd) != 0) w->err_no = errno;
    if (close(w->fd) != 0 && !w->err_no) w->err_no = errno;
    w->fd = -1;
    if (!w->err_no && rename(w->tmp, w->path) != 0) w->err_no = errno;
    if (w->err_no) {
        err_set(err, "%s: write failed: %s", w->path, strerror(w->err_no));
        atomic_abort(w);
        return -1;
    }
    sync_parent_dir(w->path);
    free(w->tmp);
    free(w->path);
    memset(w, 0, sizeof *w);
    w->fd = -1;
    return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, char *err) {
    AtomicWriter w;
    if (atomic_open(&w, path, err) != 0) return -1;
    atomic_write(&w, data, len);
    return atomic_commit(&w, err);
}

double time_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *json_escape(char *out, size_t n, const char *s) {
    size_t j = 0;
    if (!n) return out;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        int len;
        if (c == '"' || c == '\\')
            len = snprintf(esc, sizeof esc, "\\%c", c);
        else if (c < 0x20)
            len = snprintf(esc, sizeof esc, "\\u%04x", c);
        else
            esc[0] = (char)c, esc[1] = 0, len = 1;
        if (j + (size_t)len >= n) break;
        memcpy(out + j, esc, (size_t)len);
        j += (size_t)len;
    }
    out[j] = 0;
    return out;
}

float quantile_abs(float *v, size_t n, double q) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) v[m++] = fabsf(v[i]);
    if (m == 0) return 0;
    if (q < 0) q = 0;
    if (q > 1) q = 1;
    long k = (long)(q * (double)(m - 1) + 0.5), lo = 0, hi = (long)m - 1;
    /* Hoare selection: afterwards v[k] is the k-th smallest */
    while (lo < hi) {
        float pivot = v[lo + (hi - lo) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                float t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}
