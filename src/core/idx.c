/* idx.c - parse, gunzip and encode MNIST's IDX files (idx3-ubyte images, idx1-ubyte labels).
 * One reader serves buffers, files and gzip streams: it reads the header, checks every field
 * (and, when the length is known, the length) before allocating, then reads or inflates the
 * payload straight into the final array, so a file is read once and copied nowhere else. It
 * knows nothing about folders or class names (that is dataset.c). */
#include "idx.h"

#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IDX_MAGIC_IMAGES 0x00000803u
#define IDX_MAGIC_LABELS 0x00000801u
#define IDX_IMAGES_HEADER 16
#define IDX_LABELS_HEADER 8
/* Largest side accepted: far above any real image set, small enough that rows*cols fits an int. */
#define IDX_MAX_SIDE 4096
/* Largest decompressed file idx_load_* accepts (EMNIST byclass is ~550 MB). */
#define IDX_MAX_BYTES ((size_t)1 << 30)

/* The big-endian 32-bit value at p[0..4). */
static uint32_t read_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* Stores v big-endian at p[0..4). */
static void write_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Names a magic number a reader may confuse with the expected one, for the error line. */
static const char *magic_hint(uint32_t magic)
{
    if (magic == IDX_MAGIC_IMAGES)
        return " (an image file)";
    if (magic == IDX_MAGIC_LABELS)
        return " (a label file)";
    if ((magic >> 16) == 0x1f8b)
        return " (gzip data: decompress first)";
    return "";
}

/* Compares the buffer length to the length the header declares; sets err on mismatch. */
static int check_length(const char *what, size_t expected, size_t len, char *err)
{
    if (len < expected)
        return err_set(err, "%s: truncated: header declares %zu bytes, got %zu", what, expected, len);
    if (len > expected)
        return err_set(err, "%s: %zu trailing bytes: header declares %zu bytes, got %zu", what,
                       len - expected, expected, len);
    return 0;
}

/* A new array of n bytes that free() releases. Large ones (a training set) are aligned to 2 MB
 * and asked to be backed by huge pages where the kernel offers them (madvise): filling 47 MB
 * then takes 23 page faults instead of 11,500, and the batch gather's random rows miss the TLB
 * far less. The rounding up to 2 MB is never touched, so it costs no memory. */
static uint8_t *alloc_payload(size_t n)
{
    const size_t huge = (size_t)2 << 20;
    if (n >= 2 * huge && n <= SIZE_MAX - huge) {
        size_t rounded = (n + huge - 1) / huge * huge;
        uint8_t *p = aligned_alloc(huge, rounded);
#if defined(MADV_HUGEPAGE)
        if (p)
            madvise(p, rounded, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#endif
        if (p)
            return p;
    }
    return malloc(n ? n : 1);
}

/* ---- gzip, inflated piece by piece ---- */

/* One or more concatenated gzip members in memory, inflated into buffers the caller gives, so
 * the IDX reader can inflate a file's header onto the stack and its payload straight into the
 * final array. Zero padding after the last member is ignored; other trailing data is an error. */
typedef struct {
    z_stream zs;
    const uint8_t *buf;
    size_t len, in_pos;
    int ended; /* the last member is complete */
} Gz;

static int gz_open(Gz *g, const uint8_t *buf, size_t len, char *err)
{
    memset(g, 0, sizeof *g);
    if (inflateInit2(&g->zs, 16 + MAX_WBITS) != Z_OK)
        return err_set(err, "gzip: cannot initialise zlib");
    g->buf = buf;
    g->len = len;
    return 0;
}

static void gz_close(Gz *g)
{
    inflateEnd(&g->zs);
}

/* Inflates up to n > 0 bytes into dst and says how many in *got; *got < n only once the stream
 * has ended. zlib checks each member's trailer (CRC-32 and length). Returns -1 with err on
 * corrupt, truncated or trailing data. */
static int gz_read(Gz *g, uint8_t *dst, size_t n, size_t *got, char *err)
{
    z_stream *zs = &g->zs;
    size_t done = 0;
    while (!g->ended && done < n) {
        if (zs->avail_in == 0 && g->in_pos < g->len) {
            size_t chunk = g->len - g->in_pos;
            if (chunk > UINT_MAX)
                chunk = UINT_MAX;
            zs->next_in = (Bytef *)(g->buf + g->in_pos);
            zs->avail_in = (uInt)chunk;
            g->in_pos += chunk;
        }
        size_t room = n - done;
        if (room > UINT_MAX)
            room = UINT_MAX;
        zs->next_out = dst + done;
        zs->avail_out = (uInt)room;
        int r = inflate(zs, Z_NO_FLUSH);
        done += room - zs->avail_out;
        int input_done = zs->avail_in == 0 && g->in_pos >= g->len;
        if (r == Z_STREAM_END) {
            /* Another member may follow, or zero padding; anything else is garbage. */
            size_t rest = g->in_pos - zs->avail_in, k = rest;
            while (k < g->len && g->buf[k] == 0)
                k++;
            if (k == g->len) {
                g->ended = 1;
                break;
            }
            if (k == rest && g->len - k >= 2 && g->buf[k] == 0x1f && g->buf[k + 1] == 0x8b) {
                if (inflateReset(zs) != Z_OK)
                    return err_set(err, "gzip: cannot reset zlib");
                continue;
            }
            return err_set(err, "gzip: %zu bytes of trailing garbage after the compressed data", g->len - rest);
        }
        if (r == Z_DATA_ERROR || r == Z_NEED_DICT)
            return err_set(err, "gzip: corrupt data (%s)", zs->msg ? zs->msg : "invalid stream");
        if (r == Z_MEM_ERROR)
            return err_set(err, "gzip: out of memory in zlib");
        if (r == Z_BUF_ERROR && input_done)
            return err_set(err, "gzip: truncated data (the stream ends early)");
        if (r != Z_OK && r != Z_BUF_ERROR)
            return err_set(err, "gzip: zlib error %d", r);
    }
    *got = done;
    return 0;
}

/* The size the last member's trailer states (ISIZE, the length mod 2^32), as a first guess of
 * the output size: at most max_out, and at most what deflate can expand len bytes to (1032:1),
 * so a lying trailer cannot make us allocate much. 0 when there is no trailer to read. */
static size_t gz_size_hint(const uint8_t *buf, size_t len, size_t max_out)
{
    if (len < 18) /* 10-byte header, an empty block, 8-byte trailer */
        return 0;
    const uint8_t *t = buf + len - 4;
    size_t isize = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
    size_t bound = len > SIZE_MAX / 1032 ? SIZE_MAX : len * 1032;
    if (isize > bound)
        isize = bound;
    return isize < max_out ? isize : max_out;
}

/* Inflates all of buf into one buffer capped at max_out bytes: sized from the trailer, so a
 * one-member file is inflated in place with no regrowth; grown by doubling only when the
 * trailer was short (several members, or a lie). On success *out (caller frees) holds *out_len
 * bytes; on failure nothing is allocated. */
static int gunzip_members(const uint8_t *buf, size_t len, size_t max_out, uint8_t **out,
                          size_t *out_len, char *err)
{
    Gz g;
    if (gz_open(&g, buf, len, err))
        return -1;
    size_t cap = gz_size_hint(buf, len, max_out), produced = 0;
    if (cap == 0)
        cap = max_out < 4096 ? max_out : 4096;
    uint8_t *dst = malloc(cap ? cap : 1);
    if (!dst) {
        gz_close(&g);
        return err_set(err, "gzip: out of memory for %zu bytes", cap);
    }
    int status = -1;
    for (;;) {
        size_t got = 0;
        if (produced < cap) {
            if (gz_read(&g, dst + produced, cap - produced, &got, err))
                break;
            produced += got;
        }
        if (g.ended) {
            status = 0;
            break;
        }
        if (cap == max_out) {
            /* full at the cap: one more byte would be one too many */
            uint8_t probe;
            if (gz_read(&g, &probe, 1, &got, err))
                break;
            if (got) {
                err_set(err, "gzip: decompressed size exceeds the limit of %zu bytes", max_out);
                break;
            }
            status = 0;
            break;
        }
        size_t ncap = cap > max_out / 2 ? max_out : cap * 2;
        uint8_t *grown = realloc(dst, ncap);
        if (!grown) {
            err_set(err, "gzip: out of memory for %zu bytes", ncap);
            break;
        }
        dst = grown;
        cap = ncap;
    }
    gz_close(&g);
    if (status != 0) {
        free(dst);
        return -1;
    }
    if (produced > 0 && produced < cap) {
        uint8_t *fit = realloc(dst, produced); /* keep the big buffer if the shrink fails */
        if (fit)
            dst = fit;
    }
    *out = dst;
    *out_len = produced;
    return 0;
}

/* Decompresses buf when it starts with the gzip magic (1f 8b), else copies it. The output
 * may not exceed max_out bytes. On success *out is a new buffer (never NULL, even for 0 bytes)
 * that the caller frees; on failure *out and *out_len are untouched. */
int idx_gunzip(const uint8_t *buf, size_t len, size_t max_out, uint8_t **out, size_t *out_len, char *err)
{
    if (!buf && len > 0)
        return err_set(err, "gzip: no buffer");
    if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
        return gunzip_members(buf, len, max_out, out, out_len, err);
    if (len > max_out)
        return err_set(err, "data size %zu exceeds the limit of %zu bytes", len, max_out);
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return err_set(err, "out of memory for %zu bytes", len);
    if (len)
        memcpy(copy, buf, len);
    *out = copy;
    *out_len = len;
    return 0;
}

/* ---- one reader for every source: a buffer, an open file, a gzip stream ---- */

enum { SRC_MEM, SRC_FD, SRC_GZ };

/* Where an IDX file's bytes come from. Memory and files know their length before the header
 * is read, so a wrong length is refused before any allocation; a gzip stream's length is known
 * once it is inflated, and is checked then (capped at max). */
typedef struct {
    int kind;
    const uint8_t *buf; /* SRC_MEM */
    int fd;             /* SRC_FD */
    Gz gz;              /* SRC_GZ */
    size_t len, pos;    /* SRC_MEM, SRC_FD: total length, bytes read so far */
    size_t max;         /* SRC_GZ: the most the stream may inflate to */
} Src;

/* Reads up to n bytes into dst; *got < n only at the end of the data. -1 with err on a read
 * error or bad gzip data. */
static int src_read(Src *s, uint8_t *dst, size_t n, size_t *got, char *err)
{
    if (s->kind == SRC_GZ)
        return gz_read(&s->gz, dst, n, got, err);
    size_t left = s->len - s->pos, want = n < left ? n : left, done = 0;
    if (s->kind == SRC_MEM) {
        if (want)
            memcpy(dst, s->buf + s->pos, want);
        done = want;
    } else {
        while (done < want) {
            size_t chunk = want - done > ((size_t)1 << 30) ? (size_t)1 << 30 : want - done;
            ssize_t r = read(s->fd, dst + done, chunk);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return err_set(err, "read error: %s", strerror(errno));
            if (r == 0)
                break; /* the file shrank under us: reported as truncated */
            done += (size_t)r;
        }
    }
    s->pos += done;
    *got = done;
    return 0;
}

/* Counts what a gzip stream still holds after the payload (inflating it into a scratch buffer),
 * failing once the whole stream exceeds s->max. *rest is 0 for a stream that ended exactly. */
static int src_rest(Src *s, size_t used, size_t *rest, char *err)
{
    *rest = 0;
    if (s->kind != SRC_GZ)
        return 0;
    uint8_t scratch[4096];
    for (;;) {
        size_t got;
        if (gz_read(&s->gz, scratch, sizeof scratch, &got, err))
            return -1;
        *rest += got;
        if (*rest > s->max - used)
            return err_set(err, "gzip: decompressed size exceeds the limit of %zu bytes", s->max);
        if (got < sizeof scratch)
            return 0;
    }
}

/* Reads the header (hlen bytes) into h; -1 with the "too short" message when the data ends first. */
static int src_header(Src *s, const char *what, uint8_t *h, size_t hlen, char *err)
{
    size_t got;
    if (src_read(s, h, hlen, &got, err))
        return -1;
    if (got < hlen)
        return err_set(err, "%s: buffer too short for header (%zu bytes, need %zu)", what,
                       s->kind == SRC_GZ ? got : s->len, hlen);
    return 0;
}

/* After the header declared `expected` bytes in all: with a known length, the exact-length check
 * (before anything is allocated); for gzip, the cap. */
static int src_expect(Src *s, const char *what, size_t expected, char *err)
{
    if (s->kind != SRC_GZ)
        return check_length(what, expected, s->len, err);
    if (expected > s->max)
        return err_set(err, "%s: header declares %zu bytes, above the limit of %zu bytes", what, expected, s->max);
    return 0;
}

/* Reads the payload (n bytes after an hlen-byte header) into a new array *out (caller frees)
 * and checks the data ends exactly there. */
static int src_payload(Src *s, const char *what, size_t hlen, size_t n, uint8_t **out, char *err)
{
    uint8_t *p = alloc_payload(n);
    if (!p)
        return err_set(err, "%s: out of memory for %zu bytes", what, n);
    size_t got, rest;
    if (src_read(s, p, n, &got, err))
        goto fail;
    if (got < n) {
        err_set(err, "%s: truncated: header declares %zu bytes, got %zu", what, hlen + n, hlen + got);
        goto fail;
    }
    if (src_rest(s, hlen + n, &rest, err))
        goto fail;
    if (rest) {
        err_set(err, "%s: %zu trailing bytes: header declares %zu bytes, got %zu", what, rest, hlen + n,
                hlen + n + rest);
        goto fail;
    }
    *out = p;
    return 0;
fail:
    free(p);
    return -1;
}

/* Parses an idx3-ubyte image file from s. Checks: header present, magic 0x803, n, rows, cols
 * all non-zero and sane, n*rows*cols without overflow, and the length equal to the declared
 * size exactly. On success *out owns a new pixel array; on failure *out is untouched. */
static int read_images(Src *s, IdxImages *out, char *err)
{
    uint8_t h[IDX_IMAGES_HEADER];
    if (src_header(s, "IDX images", h, sizeof h, err))
        return -1;
    uint32_t magic = read_be32(h);
    if (magic != IDX_MAGIC_IMAGES)
        return err_set(err, "IDX images: wrong magic 0x%08x%s, expected 0x%08x", (unsigned)magic,
                       magic_hint(magic), (unsigned)IDX_MAGIC_IMAGES);
    uint32_t n = read_be32(h + 4), rows = read_be32(h + 8), cols = read_be32(h + 12);
    if (n == 0 || rows == 0 || cols == 0)
        return err_set(err, "IDX images: zero dimension (n=%u, rows=%u, cols=%u)", (unsigned)n,
                       (unsigned)rows, (unsigned)cols);
    if (n > INT_MAX || rows > IDX_MAX_SIDE || cols > IDX_MAX_SIDE)
        return err_set(err, "IDX images: absurd dimensions (n=%u, rows=%u, cols=%u; max side %d)",
                       (unsigned)n, (unsigned)rows, (unsigned)cols, IDX_MAX_SIDE);
    size_t d, total;
    if (size_mul(rows, cols, &d) || size_mul(d, n, &total) || total > SIZE_MAX - IDX_IMAGES_HEADER)
        return err_set(err, "IDX images: size %u x %u x %u overflows", (unsigned)n, (unsigned)rows,
                       (unsigned)cols);
    uint8_t *pixels;
    if (src_expect(s, "IDX images", total + IDX_IMAGES_HEADER, err) ||
        src_payload(s, "IDX images", IDX_IMAGES_HEADER, total, &pixels, err))
        return -1;
    out->n = (int)n;
    out->rows = (int)rows;
    out->cols = (int)cols;
    out->pixels = pixels;
    return 0;
}

/* Parses an idx1-ubyte label file from s; every label must be < max_label (1..256).
 * On success *out owns a new label array; on failure *out is untouched. */
static int read_labels(Src *s, int max_label, IdxLabels *out, char *err)
{
    if (max_label < 1 || max_label > 256)
        return err_set(err, "IDX labels: max_label %d out of range 1..256", max_label);
    uint8_t h[IDX_LABELS_HEADER];
    if (src_header(s, "IDX labels", h, sizeof h, err))
        return -1;
    uint32_t magic = read_be32(h);
    if (magic != IDX_MAGIC_LABELS)
        return err_set(err, "IDX labels: wrong magic 0x%08x%s, expected 0x%08x", (unsigned)magic,
                       magic_hint(magic), (unsigned)IDX_MAGIC_LABELS);
    uint32_t n = read_be32(h + 4);
    if (n == 0)
        return err_set(err, "IDX labels: zero dimension (n=0)");
    if (n > INT_MAX)
        return err_set(err, "IDX labels: absurd dimension (n=%u)", (unsigned)n);
    uint8_t *labels;
    if (src_expect(s, "IDX labels", (size_t)n + IDX_LABELS_HEADER, err) ||
        src_payload(s, "IDX labels", IDX_LABELS_HEADER, n, &labels, err))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (labels[i] >= max_label) {
            err_set(err, "IDX labels: label %u at index %zu is out of range (must be < %d)", (unsigned)labels[i], i,
                    max_label);
            free(labels);
            return -1;
        }
    out->n = (int)n;
    out->labels = labels;
    return 0;
}

/* A source over buf: inflated when it starts with the gzip magic and gz is set, else read as is. */
static int src_open_mem(Src *s, const uint8_t *buf, size_t len, int gz, char *err)
{
    memset(s, 0, sizeof *s);
    s->buf = buf;
    s->len = len;
    s->max = IDX_MAX_BYTES;
    s->kind = SRC_MEM;
    if (!buf && len > 0)
        return err_set(err, "no buffer");
    if (gz && len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
        s->kind = SRC_GZ;
        return gz_open(&s->gz, buf, len, err);
    }
    if (gz && len > s->max)
        return err_set(err, "data size %zu exceeds the limit of %zu bytes", len, s->max);
    return 0;
}

static void src_close(Src *s)
{
    if (s->kind == SRC_GZ)
        gz_close(&s->gz);
}

int idx_parse_images(const uint8_t *buf, size_t len, IdxImages *out, char *err)
{
    Src s;
    if (src_open_mem(&s, buf, len, 0, err))
        return err_set(err, "IDX images: no buffer");
    return read_images(&s, out, err);
}

int idx_parse_labels(const uint8_t *buf, size_t len, int max_label, IdxLabels *out, char *err)
{
    Src s;
    if (src_open_mem(&s, buf, len, 0, err))
        return err_set(err, "IDX labels: no buffer");
    return read_labels(&s, max_label, out, err);
}

int idx_read_images(const uint8_t *buf, size_t len, IdxImages *out, char *err)
{
    Src s;
    if (src_open_mem(&s, buf, len, 1, err))
        return -1;
    int rc = read_images(&s, out, err);
    src_close(&s);
    return rc;
}

int idx_read_labels(const uint8_t *buf, size_t len, int max_label, IdxLabels *out, char *err)
{
    Src s;
    if (src_open_mem(&s, buf, len, 1, err))
        return -1;
    int rc = read_labels(&s, max_label, out, err);
    src_close(&s);
    return rc;
}

/* Rewrites err as "path: message" unless the message already names the path. */
static int err_prefix_path(char *err, const char *path)
{
    if (!err)
        return -1;
    if (strstr(err, path))
        return -1;
    char tmp[ERR_LEN];
    memcpy(tmp, err, ERR_LEN);
    tmp[ERR_LEN - 1] = '\0';
    return err_set(err, "%s: %s", path, tmp);
}

/* Opens path and reads it once: a raw regular file straight from the file into the final
 * arrays (header first, then the payload into an array of the declared size); anything else
 * (gzip, a pipe) whole into one buffer sized from the file, then inflated or parsed from there.
 * Exactly one of images / labels is set. Errors start with the path. */
static int load_file(const char *path, IdxImages *images, IdxLabels *labels, int max_label, char *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, "%s: %s", path, strerror(errno));
    struct stat st;
    uint8_t magic[2] = {0, 0};
    int raw = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
              (uint64_t)st.st_size <= (uint64_t)SIZE_MAX &&
              !(st.st_size >= 2 && pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b);
    int rc;
    if (raw) {
        Src s;
        memset(&s, 0, sizeof s);
        s.kind = SRC_FD;
        s.fd = fd;
        s.len = (size_t)st.st_size;
        if (s.len > IDX_MAX_BYTES)
            rc = err_set(err, "data size %zu exceeds the limit of %zu bytes", s.len, (size_t)IDX_MAX_BYTES);
        else
            rc = images ? read_images(&s, images, err) : read_labels(&s, max_label, labels, err);
        close(fd);
    } else {
        /* gzip or a pipe: read whole from the descriptor already open (a pipe's writer sees one
         * reader only: opening it again would wait for a writer that has gone) */
        uint8_t *buf = NULL;
        size_t len = 0;
        if (file_read_fd(fd, path, &buf, &len, err))
            return err_prefix_path(err, path);
        rc = images ? idx_read_images(buf, len, images, err) : idx_read_labels(buf, len, max_label, labels, err);
        free(buf);
    }
    return rc ? err_prefix_path(err, path) : 0;
}

/* Reads an image file (raw or gzipped) and parses it. Errors start with the path.
 * On success *out owns its pixels; on failure *out is untouched. */
int idx_load_images(const char *path, IdxImages *out, char *err)
{
    return load_file(path, out, NULL, 0, err);
}

/* Reads a label file (raw or gzipped) and parses it with labels < max_label.
 * Errors start with the path. On success *out owns its labels; on failure it is untouched. */
int idx_load_labels(const char *path, int max_label, IdxLabels *out, char *err)
{
    return load_file(path, NULL, out, max_label, err);
}

/* Serialises images to idx3-ubyte bytes: magic, n, rows, cols (big-endian), then pixels.
 * Rejects what idx_parse_images would reject. On success *out is new (caller frees). */
int idx_encode_images(const IdxImages *im, uint8_t **out, size_t *len, char *err)
{
    if (!im || !im->pixels)
        return err_set(err, "IDX encode: no images");
    if (im->n <= 0 || im->rows <= 0 || im->cols <= 0 || im->rows > IDX_MAX_SIDE || im->cols > IDX_MAX_SIDE)
        return err_set(err, "IDX encode: bad dimensions (n=%d, rows=%d, cols=%d)", im->n, im->rows,
                       im->cols);
    size_t d, total;
    if (size_mul((size_t)im->rows, (size_t)im->cols, &d) || size_mul(d, (size_t)im->n, &total) ||
        total > SIZE_MAX - IDX_IMAGES_HEADER)
        return err_set(err, "IDX encode: size overflows");
    uint8_t *buf = malloc(total + IDX_IMAGES_HEADER);
    if (!buf)
        return err_set(err, "IDX encode: out of memory for %zu bytes", total + IDX_IMAGES_HEADER);
    write_be32(buf, IDX_MAGIC_IMAGES);
    write_be32(buf + 4, (uint32_t)im->n);
    write_be32(buf + 8, (uint32_t)im->rows);
    write_be32(buf + 12, (uint32_t)im->cols);
    memcpy(buf + IDX_IMAGES_HEADER, im->pixels, total);
    *out = buf;
    *len = total + IDX_IMAGES_HEADER;
    return 0;
}

/* Serialises labels to idx1-ubyte bytes: magic, n (big-endian), then labels.
 * On success *out is new (caller frees). */
int idx_encode_labels(const IdxLabels *lb, uint8_t **out, size_t *len, char *err)
{
    if (!lb || !lb->labels)
        return err_set(err, "IDX encode: no labels");
    if (lb->n <= 0)
        return err_set(err, "IDX encode: bad label count %d", lb->n);
    size_t total = (size_t)lb->n + IDX_LABELS_HEADER;
    uint8_t *buf = malloc(total);
    if (!buf)
        return err_set(err, "IDX encode: out of memory for %zu bytes", total);
    write_be32(buf, IDX_MAGIC_LABELS);
    write_be32(buf + 4, (uint32_t)lb->n);
    memcpy(buf + IDX_LABELS_HEADER, lb->labels, (size_t)lb->n);
    *out = buf;
    *len = total;
    return 0;
}

/* Frees the pixels and zeroes the struct; safe on a zeroed or already freed struct. */
void idx_images_free(IdxImages *im)
{
    if (!im)
        return;
    free(im->pixels);
    memset(im, 0, sizeof *im);
}

/* Frees the labels and zeroes the struct; safe on a zeroed or already freed struct. */
void idx_labels_free(IdxLabels *lb)
{
    if (!lb)
        return;
    free(lb->labels);
    memset(lb, 0, sizeof *lb);
}
