/* budget.c: whether a summary budget is valid (see budget.h); one place for the rule. */
#include "budget.h"

#include <math.h>
#include <stdio.h>

#include "error.h"

static int refuse(char *msg, size_t msg_len, const char *why)
{
    if (msg && msg_len)
        snprintf(msg, msg_len, "%s", why);
    return LEDE_EINVAL;
}

int lede_budget_check(struct lede_budget b, char *msg, size_t msg_len)
{
    double v = b.value;
    switch (b.kind) {
    case LEDE_BUDGET_SENTENCES:
    case LEDE_BUDGET_WORDS:
    case LEDE_BUDGET_CHARS:
        if (!isfinite(v) || v < 1 || v > 1e9 || floor(v) != v)
            return refuse(msg, msg_len, "budget must be a whole number from 1 to 1e9");
        return LEDE_OK;
    case LEDE_BUDGET_RATIO:
        if (!isfinite(v) || v <= 0 || v > 1)
            return refuse(msg, msg_len, "ratio must be in (0, 1]");
        return LEDE_OK;
    }
    return refuse(msg, msg_len, "unknown budget kind");
}
