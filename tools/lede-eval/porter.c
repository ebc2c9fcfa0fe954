/* porter.c: the Porter (1980) stemmer with NLTK's default extensions (NLTK_EXTENSIONS mode of
 * nltk.stem.porter), so that lede-eval's ROUGE stems exactly as rouge-score does.
 * Each step takes the word as (w, n) and returns the new length; rules only shorten a word. */
#include "porter.h"

#include <stdbool.h>
#include <string.h>

/* A consonant is a letter other than a, e, i, o, u, and other than a y preceded by a
 * consonant. Digits count as consonants, as in NLTK. For a run of y's the answer alternates,
 * so walk back to the start of the run instead of recursing. */
static bool is_cons(const char *w, size_t i)
{
    char c = w[i];
    if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u')
        return false;
    if (c != 'y')
        return true;
    size_t s = i; /* first y of the run ending at i */
    while (s > 0 && w[s - 1] == 'y')
        s--;
    bool cons; /* status of position s */
    if (s == 0) {
        cons = true;
    } else {
        char p = w[s - 1];
        bool prev_cons = !(p == 'a' || p == 'e' || p == 'i' || p == 'o' || p == 'u');
        cons = !prev_cons;
    }
    return ((i - s) % 2 == 0) ? cons : !cons;
}

/* Porter's m: the number of vowel-consonant transitions in w[0..n). */
static int measure(const char *w, size_t n)
{
    int m = 0;
    bool prev_cons = true, prev_vowel = false;
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        bool cons;
        if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u')
            cons = false;
        else if (c == 'y')
            cons = (i == 0) ? true : !prev_cons;
        else
            cons = true;
        if (cons && prev_vowel)
            m++;
        prev_vowel = !cons;
        prev_cons = cons;
    }
    return m;
}

static bool contains_vowel(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_cons(w, i))
            return true;
    return false;
}

/* *d: ends with a double consonant. */
static bool ends_double(const char *w, size_t n)
{
    return n >= 2 && w[n - 1] == w[n - 2] && is_cons(w, n - 1);
}

/* *o: ends consonant-vowel-consonant, the last not w, x or y; NLTK also accepts a
 * two-letter vowel-consonant word. */
static bool ends_cvc(const char *w, size_t n)
{
    if (n >= 3 && is_cons(w, n - 3) && !is_cons(w, n - 2) && is_cons(w, n - 1) && w[n - 1] != 'w' &&
        w[n - 1] != 'x' && w[n - 1] != 'y')
        return true;
    return n == 2 && !is_cons(w, 0) && is_cons(w, 1);
}

static bool ends(const char *w, size_t n, const char *suf, size_t sl)
{
    return n >= sl && memcmp(w + n - sl, suf, sl) == 0;
}

enum cond { C_NONE, C_M0, C_M1, C_ION, C_LOGI, C_LL };

struct rule {
    const char *suf;
    size_t sl; /* strlen(suf) */
    const char *rep;
    size_t rl; /* strlen(rep) */
    enum cond cond;
};

#define RULE(suf, rep, cond)                                                                       \
    {                                                                                              \
        suf, sizeof(suf) - 1, rep, sizeof(rep) - 1, cond                                           \
    }

static bool cond_holds(enum cond c, const char *w, size_t n, size_t stem)
{
    switch (c) {
    case C_NONE: return true;
    case C_M0: return measure(w, stem) > 0;
    case C_M1: return measure(w, stem) > 1;
    case C_ION: return measure(w, stem) > 1 && (w[stem - 1] == 's' || w[stem - 1] == 't');
    case C_LOGI: return measure(w, n - 3) > 0; /* the 'l' stays with the stem */
    case C_LL: return measure(w, n - 1) > 1;
    }
    return false;
}

/* NLTK's _apply_rule_list: the first rule whose suffix matches decides; when its condition
 * fails the word is returned unchanged and no later rule is tried. */
static size_t apply_rules(char *w, size_t n, const struct rule *rules, size_t n_rules)
{
    for (size_t r = 0; r < n_rules; r++) {
        size_t sl = rules[r].sl;
        if (n < sl || w[n - 1] != rules[r].suf[sl - 1] || !ends(w, n, rules[r].suf, sl))
            continue;
        size_t stem = n - sl;
        if (!cond_holds(rules[r].cond, w, n, stem))
            return n;
        size_t rl = rules[r].rl;
        memcpy(w + stem, rules[r].rep, rl);
        return stem + rl;
    }
    return n;
}

#define NRULES(a) (sizeof(a) / sizeof((a)[0]))

static size_t step1a(char *w, size_t n)
{
    static const struct rule rules[] = {
        RULE("sses", "ss", C_NONE),
        RULE("ies", "i", C_NONE),
        RULE("ss", "ss", C_NONE),
        RULE("s", "", C_NONE),
    };
    if (n == 4 && ends(w, n, "ies", 3)) /* NLTK: "ties" -> "tie", but "flies" -> "fli" */
        return 3;
    return apply_rules(w, n, rules, NRULES(rules));
}

static size_t step1b(char *w, size_t n)
{
    if (ends(w, n, "ied", 3)) { /* NLTK: "died" -> "die", "spied" -> "spi" */
        if (n == 4)
            return 3;
        w[n - 3] = 'i';
        return n - 2;
    }
    if (ends(w, n, "eed", 3))
        return measure(w, n - 3) > 0 ? n - 1 : n;

    size_t s;
    if (ends(w, n, "ed", 2) && contains_vowel(w, n - 2))
        s = n - 2;
    else if (ends(w, n, "ing", 3) && contains_vowel(w, n - 3))
        s = n - 3;
    else
        return n;

    if (ends(w, s, "at", 2) || ends(w, s, "bl", 2) || ends(w, s, "iz", 2)) {
        w[s] = 'e';
        return s + 1;
    }
    if (ends_double(w, s)) {
        char last = w[s - 1];
        return (last == 'l' || last == 's' || last == 'z') ? s : s - 1;
    }
    if (measure(w, s) == 1 && ends_cvc(w, s)) {
        w[s] = 'e';
        return s + 1;
    }
    return s;
}

/* NLTK: y -> i only after a consonant, and not when the stem is a single letter. */
static size_t step1c(char *w, size_t n)
{
    if (ends(w, n, "y", 1) && n - 1 > 1 && is_cons(w, n - 2))
        w[n - 1] = 'i';
    return n;
}

static size_t step2(char *w, size_t n)
{
    static const struct rule rules[] = {
        RULE("ational", "ate", C_M0), RULE("tional", "tion", C_M0), RULE("enci", "ence", C_M0),
        RULE("anci", "ance", C_M0),   RULE("izer", "ize", C_M0),    RULE("bli", "ble", C_M0),
        RULE("alli", "al", C_M0),     RULE("entli", "ent", C_M0),   RULE("eli", "e", C_M0),
        RULE("ousli", "ous", C_M0),   RULE("ization", "ize", C_M0), RULE("ation", "ate", C_M0),
        RULE("ator", "ate", C_M0),    RULE("alism", "al", C_M0),    RULE("iveness", "ive", C_M0),
        RULE("fulness", "ful", C_M0), RULE("ousness", "ous", C_M0), RULE("aliti", "al", C_M0),
        RULE("iviti", "ive", C_M0),   RULE("biliti", "ble", C_M0),  RULE("fulli", "ful", C_M0),
        RULE("logi", "log", C_LOGI),
    };
    /* NLTK applies alli -> al first and, when it fires, runs step 2 again on the result. */
    while (ends(w, n, "alli", 4) && measure(w, n - 4) > 0)
        n -= 2;
    return apply_rules(w, n, rules, NRULES(rules));
}

static size_t step3(char *w, size_t n)
{
    static const struct rule rules[] = {
        RULE("icate", "ic", C_M0), RULE("ative", "", C_M0),  RULE("alize", "al", C_M0),
        RULE("iciti", "ic", C_M0), RULE("ical", "ic", C_M0), RULE("ful", "", C_M0),
        RULE("ness", "", C_M0),
    };
    return apply_rules(w, n, rules, NRULES(rules));
}

static size_t step4(char *w, size_t n)
{
    static const struct rule rules[] = {
        RULE("al", "", C_M1),   RULE("ance", "", C_M1), RULE("ence", "", C_M1),
        RULE("er", "", C_M1),   RULE("ic", "", C_M1),   RULE("able", "", C_M1),
        RULE("ible", "", C_M1), RULE("ant", "", C_M1),  RULE("ement", "", C_M1),
        RULE("ment", "", C_M1), RULE("ent", "", C_M1),  RULE("ion", "", C_ION),
        RULE("ou", "", C_M1),   RULE("ism", "", C_M1),  RULE("ate", "", C_M1),
        RULE("iti", "", C_M1),  RULE("ous", "", C_M1),  RULE("ive", "", C_M1),
        RULE("ize", "", C_M1),
    };
    return apply_rules(w, n, rules, NRULES(rules));
}

/* Both e-rules are tried here (unlike the first-match rule lists). */
static size_t step5a(char *w, size_t n)
{
    if (!ends(w, n, "e", 1))
        return n;
    int m = measure(w, n - 1);
    if (m > 1 || (m == 1 && !ends_cvc(w, n - 1)))
        return n - 1;
    return n;
}

static size_t step5b(char *w, size_t n)
{
    static const struct rule rules[] = {RULE("ll", "l", C_LL)};
    return apply_rules(w, n, rules, NRULES(rules));
}

/* NLTK's table of irregular forms, checked before any rule. */
#define IRREG(word, stem)                                                                          \
    {                                                                                              \
        word, sizeof(word) - 1, stem, sizeof(stem) - 1                                             \
    }
static const struct {
    const char *word;
    size_t wl;
    const char *stem;
    size_t sl;
} irregular[] = {
    IRREG("sky", "sky"),         IRREG("skies", "sky"),        IRREG("dying", "die"),
    IRREG("lying", "lie"),       IRREG("tying", "tie"),        IRREG("news", "news"),
    IRREG("innings", "inning"),  IRREG("inning", "inning"),    IRREG("outings", "outing"),
    IRREG("outing", "outing"),   IRREG("cannings", "canning"), IRREG("canning", "canning"),
    IRREG("howe", "howe"),       IRREG("proceed", "proceed"),  IRREG("exceed", "exceed"),
    IRREG("succeed", "succeed"),
};

size_t lede_porter_stem(char *word, size_t len)
{
    for (size_t i = 0; i < NRULES(irregular); i++) {
        if (irregular[i].wl == len && memcmp(irregular[i].word, word, len) == 0) {
            memcpy(word, irregular[i].stem, irregular[i].sl);
            return irregular[i].sl;
        }
    }
    if (len <= 2)
        return len;
    size_t n = len;
    n = step1a(word, n);
    n = step1b(word, n);
    n = step1c(word, n);
    n = step2(word, n);
    n = step3(word, n);
    n = step4(word, n);
    n = step5a(word, n);
    n = step5b(word, n);
    return n;
}
