/* skip.h: how a Check suite says it cannot run (tests/lib/skip.sh for the shell tests).
 * lede_test_missing: data or a file the suite needs is absent: exit 77 (ctest "skipped") with
 * the reason, except under CI=true, where it is a failure (exit 1). */
#ifndef LEDE_TEST_SKIP_H
#define LEDE_TEST_SKIP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEDE_TEST_SKIP 77

static inline int lede_test_ci(void)
{
    const char *ci = getenv("CI");
    return ci && strcmp(ci, "true") == 0;
}

/* Prints why and exits: 77 normally, 1 under CI=true. Never returns. */
static inline void lede_test_missing(const char *what)
{
    if (lede_test_ci()) {
        printf("FAIL: %s (CI=true: missing data is a failure, not a skip)\n", what);
        fflush(stdout);
        exit(EXIT_FAILURE);
    }
    printf("SKIP: %s\n", what);
    fflush(stdout);
    exit(LEDE_TEST_SKIP);
}

#endif
