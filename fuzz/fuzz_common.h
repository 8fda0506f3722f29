/* fuzz_common.h - checks shared by the libFuzzer harnesses: a failed invariant aborts so
 * libFuzzer (or the replay driver) records the input. Not a test framework, just the traps. */
#ifndef DIGITREC_FUZZ_COMMON_H
#define DIGITREC_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Aborts with a message when cond is false; libFuzzer treats the abort as a crash. */
#define FUZZ_ASSERT(cond, ...)                                                 \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz invariant failed at %s:%d: %s: ", __FILE__, \
                    __LINE__, #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The error contract of core: a failure leaves one non-empty printable line in err
 * (no newline, no control bytes, terminated inside ERR_LEN). */
static inline void fuzz_check_err(const char *err) {
    size_t n = strnlen(err, ERR_LEN);
    FUZZ_ASSERT(n > 0 && n < ERR_LEN, "error message empty or unterminated (len %zu)", n);
    for (size_t i = 0; i < n; i++)
        FUZZ_ASSERT((unsigned char)err[i] >= 0x20 && err[i] != 0x7f, "control byte 0x%02x at %zu in \"%s\"",
                    (unsigned char)err[i], i, err);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#endif
