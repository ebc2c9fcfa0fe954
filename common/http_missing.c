/* http_missing.c: lede_http_* when lede is built without libmicrohttpd: --metrics is then
 * refused at start-up with a clear message. */
#include "http.h"

#include <stdio.h>

#include "error.h"
#include "http_listen.h"

int lede_http_start(const struct lede_http_config *cfg, lede_http_t **out, char *err,
                    size_t err_len)
{
    (void)cfg;
    *out = NULL;
    if (err)
        snprintf(err, err_len, "built without libmicrohttpd: --metrics is not available");
    return LEDE_EUNAVAIL;
}

int lede_http_port(const lede_http_t *h)
{
    (void)h;
    return -1;
}

void lede_http_set_draining(lede_http_t *h, bool draining)
{
    (void)h;
    (void)draining;
}

void lede_http_stop(lede_http_t **h)
{
    if (h)
        *h = NULL;
}
