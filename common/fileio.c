/* fileio.c: whole-file reads with a cap (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

int lede_read_file(const char *path, size_t max, char **out, size_t *len, char *msg, size_t msg_len)
{
    bool is_stdin = !strcmp(path, "-");
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    int rc = LEDE_OK;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    *out = NULL;
    *len = 0;
    if (!f) {
        snprintf(msg, msg_len, "cannot open %s: %s", path, strerror(errno));
        return LEDE_EIO;
    }
    for (;;) {
        if (n + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            if (ncap > max + 2)
                ncap = max + 2;
            if (ncap <= n + 1) {
                snprintf(msg, msg_len, "%s is larger than the maximum of %zu bytes", path, max);
                rc = LEDE_ETOOBIG;
                goto out;
            }
            char *nb = realloc(buf, ncap);
            if (!nb) {
                snprintf(msg, msg_len, "out of memory reading %s", path);
                rc = LEDE_ENOMEM;
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                snprintf(msg, msg_len, "cannot read %s: %s", path, strerror(errno));
                rc = LEDE_EIO;
                goto out;
            }
            break;
        }
        if (n > max) {
            snprintf(msg, msg_len, "%s is larger than the maximum of %zu bytes", path, max);
            rc = LEDE_ETOOBIG;
            goto out;
        }
    }
    if (!buf && !(buf = malloc(1))) {
        rc = LEDE_ENOMEM;
        goto out;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    if (!is_stdin)
        fclose(f);
    return rc;
}

ssize_t lede_read_line(FILE *f, size_t max, char **buf, size_t *cap, bool *too_long)
{
    size_t n = 0;
    int c = EOF;
    *too_long = false;
    for (;;) {
        if (n < max && n + 2 > *cap) {
            size_t ncap = *cap ? *cap * 2 : 4096;
            if (ncap > max + 2)
                ncap = max + 2;
            if (ncap < n + 2)
                ncap = n + 2;
            char *p = realloc(*buf, ncap);
            if (!p)
                return -1;
            *buf = p;
            *cap = ncap;
        }
        /* the bytes that fit now (the NUL kept room for), with one test each beside the
           newline's: a check of max and of the room per byte was most of --jsonl's reading */
        size_t lim = n < max ? (*cap - 1 < max ? *cap - 1 : max) : n;
        char *b = *buf;
        while (n < lim) {
            c = getc_unlocked(f);
            if (c == EOF)
                goto done;
            b[n++] = (char)c;
            if (c == '\n')
                goto done;
        }
        if (n < max)
            continue; /* the buffer is full: grow it */
        /* max bytes stored: one more makes the line too long; read to its end, storing nothing */
        c = getc_unlocked(f);
        if (c != EOF) {
            *too_long = true;
            while (c != '\n' && (c = getc_unlocked(f)) != EOF)
                ;
        }
        break;
    }
done:
    if (c == EOF && n == 0 && !*too_long)
        return -1;
    if (*too_long)
        return 0;
    (*buf)[n] = 0;
    return (ssize_t)n;
}
