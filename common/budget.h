/* budget.h: the one rule for a summary budget, shared by the engine (check_request), the lede
 * CLI's flags and JSONL options, and liblede-client before it encodes a request, so that a
 * budget is accepted or refused the same way in-process and through the service. */
#ifndef LEDE_BUDGET_H
#define LEDE_BUDGET_H

#include <stddef.h>

/* Words and characters are counted on the summary as a reader gets it: its sentences joined
 * by single spaces. A character is a Unicode code point; a word a run of non-space characters.
 * WORDS and CHARS are caps: the summary never exceeds them, and the best-ranked set of whole
 * sentences (whole quotations) that fits is chosen. When not even one sentence fits,
 * lede_summarize fails with LEDE_EINVAL and a message naming the shortest sentence. */
enum lede_budget_kind {
    LEDE_BUDGET_SENTENCES = 0, /* value: a whole number of sentences */
    LEDE_BUDGET_WORDS,         /* value: at most this many words (a cap) */
    LEDE_BUDGET_CHARS,         /* value: at most this many characters (code points, a cap) */
    LEDE_BUDGET_RATIO,         /* value in (0, 1]: that share of the article's sentences */
};

struct lede_budget {
    enum lede_budget_kind kind;
    double value;
};

/* LEDE_OK when b is valid: sentences, words and chars a whole number from 1 to 1e9, a ratio a
 * number in (0, 1]. Else LEDE_EINVAL and, when msg is not NULL, why in msg[0..msg_len). */
int lede_budget_check(struct lede_budget b, char *msg, size_t msg_len);

#endif
