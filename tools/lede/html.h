/* html.h: the editor's view of one summary (`lede summarize --html OUT.html`): a single
 * self-contained HTML page with the article, the chosen sentences highlighted, each
 * sentence's rank and a bar per feature, and duplicates marked. */
#ifndef LEDE_HTML_H
#define LEDE_HTML_H

#include <stdio.h>

#include "summarize.h"

/* Writes the page for res (borrowed) to f. title (UTF-8, may be NULL) heads the page; every
 * piece of text is HTML-escaped. No scripts, no external resources. Returns LEDE_OK,
 * LEDE_EINVAL (res NULL or a sentence outside the body), LEDE_EIO (writing failed). */
int lede_html_write(FILE *f, const char *title, const struct lede_result *res);

#endif
