/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Replays inputs through a harness's LLVMFuzzerTestOneInput() without
 * libFuzzer, so gcc builds run every seed and regression input of
 * tests/fuzz/corpus/ as an ordinary meson test.
 *
 *   replay-NAME FILE|DIRECTORY...
 *
 * Exit 0 when every input ran; a crash is a crash (run it under the
 * sanitize build to see where). */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Optional, as in libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path) {
        FILE *f = fopen(path, "re");
        uint8_t *buf = NULL;
        long size;
        int r = -1;

        if (!f)
                return fprintf(stderr, "replay: %s: %s\n", path, strerror(errno)), -1;
        if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
                /* Never malloc(0): an empty input is a valid input. */
                buf = malloc((size_t) size + 1);
                if (buf && fread(buf, 1, (size_t) size, f) == (size_t) size) {
                        (void) LLVMFuzzerTestOneInput(buf, (size_t) size);
                        r = 0;
                }
        }
        if (r < 0)
                fprintf(stderr, "replay: %s: cannot read\n", path);
        free(buf);
        (void) fclose(f);
        return r;
}

/* In name order, so a failure names the same input every time. */
static int replay_directory(const char *dir, unsigned *n) {
        struct dirent **entries = NULL;
        int count = scandir(dir, &entries, NULL, alphasort), r = 0;

        if (count < 0)
                return fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno)), -1;
        for (int i = 0; i < count; i++) {
                char path[4096];
                struct stat st;

                (void) snprintf(path, sizeof(path), "%s/%s", dir, entries[i]->d_name);
                if (entries[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                        if (replay_file(path) < 0)
                                r = -1;
                        (*n)++;
                }
                free(entries[i]);
        }
        free(entries);
        return r;
}

int main(int argc, char *argv[]) {
        unsigned n = 0;
        int r = 0;

        if (argc < 2) {
                fprintf(stderr, "Usage: %s FILE|DIRECTORY...\n", argv[0]);
                return 2;
        }
        if (LLVMFuzzerInitialize)
                (void) LLVMFuzzerInitialize(&argc, &argv);
        for (int i = 1; i < argc; i++) {
                struct stat st;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
                        r = -1;
                } else if (S_ISDIR(st.st_mode)) {
                        if (replay_directory(argv[i], &n) < 0)
                                r = -1;
                } else {
                        if (replay_file(argv[i]) < 0)
                                r = -1;
                        n++;
                }
        }
        printf("replayed %u inputs\n", n);
        return r < 0 || n == 0 ? 1 : 0;
}
