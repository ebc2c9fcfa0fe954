/* run.h: a Check suite's main ends with lede_test_run(suite): it runs every test (forked, Check's
 * default, so a crash fails one test and not the suite) and gives the exit status ctest reads. */
#ifndef LEDE_TEST_RUN_H
#define LEDE_TEST_RUN_H

#include <check.h>

static inline int lede_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
