/* weights.c: --weight NAME=VALUE lists for `lede summarize` and lede-eval (weights.h). */
#include "weights.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One NAME=VALUE item of len bytes into *f, *v; nonzero with err filled when it is bad. */
static int parse_item(const char *s, size_t len, int *f, double *v, char *err, size_t err_len)
{
    const char *eq = memchr(s, '=', len);
    char name[32], num[64];
    size_t nl = eq ? (size_t)(eq - s) : 0, vl = eq ? len - nl - 1 : 0;
    if (!eq || nl == 0 || nl >= sizeof name || vl == 0 || vl >= sizeof num) {
        snprintf(err, err_len, "--weight takes NAME=VALUE, e.g. position=1.2 (got '%.*s')",
                 (int)len, s);
        return -1;
    }
    memcpy(name, s, nl);
    name[nl] = 0;
    memcpy(num, eq + 1, vl);
    num[vl] = 0;
    *f = lede_feature_by_name(name);
    if (*f < 0) {
        size_t p =
            (size_t)snprintf(err, err_len, "--weight: unknown feature '%s'; features are", name);
        for (int i = 0; i < LEDE_F_COUNT && p < err_len; i++)
            p += (size_t)snprintf(err + p, err_len - p, "%s %s", i ? "," : ":",
                                  lede_feature_name(i));
        return -1;
    }
    char *end;
    errno = 0;
    *v = strtod(num, &end);
    if (errno || *end || !isfinite(*v)) {
        snprintf(err, err_len, "--weight %s: '%s' is not a number", name, num);
        return -1;
    }
    return 0;
}

int lede_weights_parse(const char *list, struct lede_weight_override out[LEDE_F_COUNT], char *err,
                       size_t err_len)
{
    int n = 0;
    for (const char *s = list; s && *s;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        int f;
        double v;
        if (parse_item(s, len, &f, &v, err, err_len))
            return -1;
        int k = 0;
        while (k < n && out[k].feature != f)
            k++;
        out[k] = (struct lede_weight_override){f, v};
        n += k == n;
        s = comma ? comma + 1 : s + len;
    }
    return n;
}
