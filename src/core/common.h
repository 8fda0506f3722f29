/* common.h - error buffers, checked allocation, a seeded RNG and file helpers shared by core.
 * Nothing here exits or prints: failures come back as a status and a one-line message. */
#ifndef DIGITREC_COMMON_H
#define DIGITREC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define DIGITREC_VERSION "1.0.0"

/* Every fallible core function takes `char *err` with room for ERR_LEN bytes and,
 * on failure, writes one line (no trailing newline) saying what went wrong. */
#define ERR_LEN 256

/* Formats a message into err (may be NULL) and returns -1, so callers can
 * `return err_set(err, "...")`. */
int err_set(char *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Allocation with overflow-checked sizes: return NULL when n*size overflows or memory runs out. */
void *xcalloc(size_t n, size_t size);
void *xmalloc_array(size_t n, size_t size);

/* Multiplies a*b into *out; returns 0 on success, -1 if it would overflow SIZE_MAX. */
int size_mul(size_t a, size_t b, size_t *out);

/* SplitMix64-seeded xoshiro256** generator: same seed, same stream on every platform. */
typedef struct {
    uint64_t s[4];
} Rng;

void rng_seed(Rng *r, uint64_t seed);
uint64_t rng_next(Rng *r);
double rng_uniform(Rng *r);        /* [0, 1) */
double rng_normal(Rng *r);         /* standard normal (Box-Muller) */
uint32_t rng_below(Rng *r, uint32_t n); /* uniform in [0, n), n > 0 */
void rng_shuffle_int(Rng *r, int *a, int n);

/* Reads a whole file into a new buffer (caller frees *buf). Returns 0 or -1 with err set. */
int file_read_all(const char *path, uint8_t **buf, size_t *len, char *err);
/* The same for fd, already open (a pipe can be opened only once), read from where it is and
 * closed in every case; path only names it in errors. */
int file_read_fd(int fd, const char *path, uint8_t **buf, size_t *len, char *err);

/* Writes len bytes to path atomically: a temp file in the same folder, fsync, rename.
 * On failure the old file (if any) is untouched and the temp file removed. */
int file_write_atomic(const char *path, const void *data, size_t len, char *err);

/* The same, written piece by piece: atomic_open makes the temp file, atomic_write appends (a
 * failure is remembered and later writes do nothing), atomic_commit syncs and renames it over
 * path, or, after any failure, removes it and says why in err; atomic_abort just removes it. The
 * old file is untouched until the commit succeeds. */
typedef struct {
    int fd;
    char *path, *tmp;
    int err_no;
} AtomicWriter;
int atomic_open(AtomicWriter *w, const char *path, char *err);
int atomic_write(AtomicWriter *w, const void *data, size_t len);
int atomic_commit(AtomicWriter *w, char *err);
void atomic_abort(AtomicWriter *w);

/* Seconds from a monotonic clock. */
double time_now(void);

/* s as the body of a JSON string (quotes, backslashes and control characters escaped, no
 * surrounding quotes) into out (n bytes, always terminated; cut at a whole escape when full).
 * Returns out. */
char *json_escape(char *out, size_t n, const char *s);

/* The q-quantile (0..1) of |v[i]| over the finite entries of v (n), by selection: v is reordered
 * (and its entries made absolute) in place. Returns 0 when no entry is finite. */
float quantile_abs(float *v, size_t n, double q);

#endif
