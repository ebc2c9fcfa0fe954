/* keyeval.h: keyphrase scoring for lede-eval (kpcrowd's rule): each phrase lowercased, split
 * into runs of [a-z0-9], each word Porter-stemmed (client/porter.c), whole-phrase exact match
 * against the gold set. */
#ifndef LEDE_KEYEVAL_H
#define LEDE_KEYEVAL_H

#include <stddef.h>

/* The normal form of phrase s[0..n) into out (at most cap bytes with the NUL); its length, or
 * 0 when it has no word or does not fit. */
size_t lede_keyeval_normal(const char *s, size_t n, char *out, size_t cap);

/* Precision, recall and F1 (0..1) of pred[0..np) against gold[0..ng), both already in normal
 * form; duplicates count once on each side. *p, *r, *f are 0 when either side is empty. */
void lede_keyeval_prf(const char *const *gold, size_t ng, const char *const *pred, size_t np,
                      double *p, double *r, double *f);

#endif
