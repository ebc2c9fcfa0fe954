/* weights.h: the --weight NAME=VALUE option of `lede summarize` and lede-eval: overrides of the
 * engine's feature weights by feature name, gathered from a comma-separated list (the option
 * table's form of a repeated flag, common/config.h). */
#ifndef LEDE_WEIGHTS_H
#define LEDE_WEIGHTS_H

#include <stddef.h>

#include "summarize.h"

struct lede_weight_override {
    int feature; /* enum lede_feature */
    double value;
};

/* Parses list ("term=0.25,position=0.5"; NULL or "" is none) into out, one entry per feature
 * (a later NAME replaces an earlier one). Returns how many, or -1 with err naming the bad item
 * (not NAME=VALUE, an unknown feature: the known ones listed, a value that is not a finite
 * number). */
int lede_weights_parse(const char *list, struct lede_weight_override out[LEDE_F_COUNT], char *err,
                       size_t err_len);

#endif
