/* porter.h: the Porter stemmer exactly as NLTK runs it by default (mode NLTK_EXTENSIONS),
 * which is the stemmer rouge-score uses. Part of lede-eval's ROUGE scoring
 * (tools/lede-eval/rouge.c); the engine itself stems with Snowball (libstemmer), not with this. */
#ifndef LEDE_PORTER_H
#define LEDE_PORTER_H

#include <stddef.h>

/* Stems word[0..len) in place and returns the stem's length, which is never more than len
 * (so the buffer needs no extra room). The word must be lowercase ASCII; rouge-score only
 * passes runs of [a-z0-9]. Like NLTK, words of one or two characters are returned unchanged
 * and a short table of irregular forms ("dying" -> "die", "skies" -> "sky") is applied first.
 * Linear in len; no allocation, no global state, safe from any thread. */
size_t lede_porter_stem(char *word, size_t len);

#endif
