/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the libFuzzer harnesses (tests/fuzz/fuzz-*.c). Each harness
 * defines LLVMFuzzerTestOneInput(); it is linked either with libFuzzer
 * (-Dfuzz=true, clang) or with replay.c, which feeds it the seed corpus so
 * every normal build replays the corpus as a meson test (suite fuzz). */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input consumed piece by piece (fuzz-bus); past its end, zeros. */
typedef struct FuzzInput {
        const uint8_t *data;
        size_t size;
} FuzzInput;

static inline uint8_t fuzz_take_u8(FuzzInput *in) {
        if (in->size == 0)
                return 0;
        in->size--;
        return *in->data++;
}

/* Little-endian, `bytes` long (at most 8). */
static inline uint64_t fuzz_take_uint(FuzzInput *in, unsigned bytes) {
        uint64_t v = 0;

        for (unsigned i = 0; i < bytes; i++)
                v |= (uint64_t) fuzz_take_u8(in) << (8 * i);
        return v;
}

/* Up to max bytes, the count from the input; returns how many. */
static inline size_t fuzz_take_bytes(FuzzInput *in, size_t max, const uint8_t **ret) {
        size_t n = fuzz_take_u8(in) % (max + 1);

        if (n > in->size)
                n = in->size;
        *ret = in->data;
        in->data += n;
        in->size -= n;
        return n;
}

/* The input as a NUL-terminated string (the parsers under test take C
 * strings); embedded NULs simply end it early. The caller frees it. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);

        if (!s)
                abort(); /* out of memory is the fuzzer's problem, not a finding */
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}
