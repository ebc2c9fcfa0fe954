/* boiler.h: sentence-level boilerplate (engine stage 3, as sentences are tokenized): photo
 * credits and captions, "ADVERTISEMENT", promotions ("Follow us on", "Sign up for"),
 * corrections, copyright lines and agency credits ("Reporting by ...; Editing by ..."), as a
 * table of patterns. A matching sentence is never a candidate. */
#ifndef LEDE_BOILER_H
#define LEDE_BOILER_H

#include <stdbool.h>
#include <stddef.h>

/* The pattern of the table that t[0..n) matches, or NULL (a static string naming it). */
const char *lede_boiler_match(const char *t, size_t n);

#endif
