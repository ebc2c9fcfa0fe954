/* http_listen.c: parsing the listen address of the operations endpoint ("ADDR:PORT",
 * "[v6]:PORT", ":PORT", "*:PORT") into a socket address; shared by http.c and its stub. */
#include "http_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

int lede_http_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
                           char *err, size_t err_len)
{
    char host[256];
    const char *port;
    if (!listen || !*listen) {
        snprintf(err, err_len, "empty address (expected ADDR:PORT, e.g. 0.0.0.0:9100)");
        return LEDE_EINVAL;
    }
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof host) {
            snprintf(err, err_len, "'%s': expected [IPv6]:PORT", listen);
            return LEDE_EINVAL;
        }
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = 0;
        port = close + 2;
    } else {
        const char *colon = strrchr(listen, ':');
        if (!colon || (size_t)(colon - listen) >= sizeof host) {
            snprintf(err, err_len, "'%s': expected ADDR:PORT, e.g. 127.0.0.1:9100 or :9100",
                     listen);
            return LEDE_EINVAL;
        }
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = 0;
        port = colon + 1;
    }
    char *end;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (!*port || *end || errno || p < 0 || p > 65535) {
        snprintf(err, err_len, "'%s': the port must be a number from 0 to 65535", listen);
        return LEDE_EINVAL;
    }
    memset(ss, 0, sizeof *ss);
    if (!host[0] || !strcmp(host, "*") || !strcmp(host, "0.0.0.0")) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_ANY);
        a->sin_port = htons((uint16_t)p);
        *len = sizeof *a;
        return LEDE_OK;
    }
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    if (inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
        memcpy(ss, &a4, sizeof a4);
        *len = sizeof a4;
        return LEDE_OK;
    }
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)p)};
    if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
        memcpy(ss, &a6, sizeof a6);
        *len = sizeof a6;
        return LEDE_OK;
    }
    /* A host name (localhost, a pod's name): its first address. */
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &ai);
    if (rc || !ai) {
        snprintf(err, err_len, "'%s': cannot resolve '%s': %s", listen, host, gai_strerror(rc));
        return LEDE_EINVAL;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)p);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)p);
    freeaddrinfo(ai);
    return LEDE_OK;
}

int lede_http_check_listen(const char *listen, char *err, size_t err_len)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char tmp[256];
    int rc = lede_http_parse_listen(listen, &ss, &len, err ? err : tmp, err ? err_len : sizeof tmp);
    return rc;
}
