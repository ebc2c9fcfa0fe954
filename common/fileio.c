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

#define READ_CHUNK (16u << 10) /* bytes of one fgets in lede_read_line */

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
        /* the bytes that fit now (room kept for the NUL), a chunk at a time through fgets (the
           FILE's buffer scanned with memchr, not a getc per byte: reading was most of --jsonl's
           CPU). The chunk is first filled with '\n' so that the bytes fgets stored can be told
           even when the line holds NUL bytes: the first '\n' is either the line's own, followed
           by fgets' NUL, or the first fill byte, right after fgets' NUL. */
        size_t lim = n < max ? (*cap - 1 < max ? *cap - 1 : max) : n;
        if (n < lim) {
            size_t room = lim - n < READ_CHUNK ? lim - n : READ_CHUNK;
            char *b = *buf + n;
            memset(b, '\n', room + 1);
            if (!fgets(b, (int)(room + 1), f)) {
                c = EOF;
                goto done;
            }
            const char *nl = memchr(b, '\n', room + 1);
            size_t got;
            if (!nl) {
                got = room; /* the chunk is full: no newline yet */
            } else if ((size_t)(nl - b) < room && nl[1] == 0) {
                n += (size_t)(nl - b) + 1; /* the line's newline */
                c = '\n';
                goto done;
            } else {
                got = (size_t)(nl - b) - 1; /* fgets stopped at the end of the input */
                n += got;
                c = EOF;
                goto done;
            }
            n += got;
            continue;
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
