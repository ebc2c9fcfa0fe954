/* fileio.h: reading a whole file (or standard input) into memory with a size cap, for the
 * command-line tools and the worker (the engine itself never touches files). */
#ifndef LEDE_FILEIO_H
#define LEDE_FILEIO_H

#include <stddef.h>

/* Reads path ("-" = standard input) into a NUL-terminated buffer, the caller's to free.
 * Errors: LEDE_EIO (msg says why, naming the file), LEDE_ETOOBIG past max bytes, LEDE_ENOMEM. */
int lede_read_file(const char *path, size_t max, char **out, size_t *len, char *msg,
                   size_t msg_len);

#endif
