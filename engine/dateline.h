/* dateline.h: the datelines and agency tags of the non-English press (engine stage 1, beside
 * text.c): "MADRID, 12 jun (EFE).-", "Lisboa, 12 jun (Lusa) -", "Berlin (dpa) -",
 * "МОСКВА, 1 декабря. /ТАСС/.", "ANKARA (AA) -", "(서울=연합뉴스) 홍길동 기자 =",
 * "新华社北京12月1日电（记者 王明）", "【ワシントン共同】", and closing tags such as "(EFE)". */
#ifndef LEDE_DATELINE_H
#define LEDE_DATELINE_H

#include <stddef.h>

struct lede_lang;

/* Bytes of a dateline at the start of the paragraph p[0..n) (after any leading white space
 * was trimmed), white space after it included; 0 when there is none. lang's agency list is
 * consulted besides the agencies every language's press quotes. Linear in the prefix read
 * (at most 160 bytes). */
size_t lede_dateline_prefix(const char *p, size_t n, const struct lede_lang *lang);

/* Length to keep of p[0..n) once a closing agency tag ("(EFE)", "EFE", "(Lusa)", "/ТАСС/")
 * is cut from its end, or n when there is none. */
size_t lede_dateline_trailing(const char *p, size_t n, const struct lede_lang *lang);

#endif
