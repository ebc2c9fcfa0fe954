/* budget.h: the one rule for a summary budget, shared by the engine (check_request), the lede
 * CLI's flags and JSONL options, and liblede-client before it encodes a request, so that a
 * budget is accepted or refused the same way in-process and through the service. */
#ifndef LEDE_BUDGET_H
#define LEDE_BUDGET_H

#include <stddef.h>

#include "summarize.h"

/* LEDE_OK when b is valid: sentences, words and chars a whole number from 1 to 1e9, a ratio a
 * number in (0, 1]. Else LEDE_EINVAL and, when msg is not NULL, why in msg[0..msg_len). */
int lede_budget_check(struct lede_budget b, char *msg, size_t msg_len);

#endif
