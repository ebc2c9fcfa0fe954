/* select.h: combining features into scores, removing duplicates, redundancy-aware ranking
 * and the length budget (engine stage 5). */
#ifndef LEDE_SELECT_H
#define LEDE_SELECT_H

#include "feature.h"
#include "summarize.h"

/* Scores doc's sentences from values (lede_features_compute) and w, marks exact and near
 * duplicates, ranks the rest (greedy maximal marginal relevance over the best candidates,
 * then by score), and picks the summary under budget, in document order.
 * res->sentences must hold doc->n_sent entries with offset/length/paragraph filled in;
 * this fills the rest of them and res->summary; doc->sigs is its scratch.
 * Errors: LEDE_ENOMEM. */
int lede_select_summary(struct lede_doc *doc, const double *values, const struct lede_weights *w,
                        struct lede_budget budget, struct lede_result *res);

#endif
