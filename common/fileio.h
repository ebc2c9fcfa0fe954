/* fileio.h: reading a whole file (or standard input) into memory with a size cap, for the
 * command-line tools and the worker (the engine itself never touches files). */
#ifndef LEDE_FILEIO_H
#define LEDE_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Reads path ("-" = standard input) into a NUL-terminated buffer, the caller's to free.
 * Errors: LEDE_EIO (msg says why, naming the file), LEDE_ETOOBIG past max bytes, LEDE_ENOMEM. */
int lede_read_file(const char *path, size_t max, char **out, size_t *len, char *msg,
                   size_t msg_len);

/* Reads one line of f (with its '\n', if any) into *buf (grown as needed, the caller's to
 * free; *cap its size) holding at most max bytes of it: a longer line is read to its end and
 * dropped with *too_long set, so no line costs more than max + 1 bytes of memory. Returns the
 * line's length (0 with *too_long), or -1 at the end of input or when out of memory. */
ssize_t lede_read_line(FILE *f, size_t max, char **buf, size_t *cap, bool *too_long);

#endif
