/* http_listen.h: the listen-address parser behind lede_http_check_listen (internal to
 * common/: http.c and the stub use it). */
#ifndef LEDE_HTTP_LISTEN_H
#define LEDE_HTTP_LISTEN_H

#include <stddef.h>
#include <sys/socket.h>

#include "http.h"

/* "ADDR:PORT" -> a socket address. LEDE_EINVAL with a message in err otherwise. */
int lede_http_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
                           char *err, size_t err_len);

#endif
