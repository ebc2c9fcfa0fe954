/* check_config.c: option tables (common/config.c): precedence flag > environment > file >
 * default for every kind of option, each layer's errors naming the setting, its value and its
 * source, the built-ins (--config, --help), positional arguments and the --help text. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "run.h"

static const char *const modes[] = {"fast", "careful", NULL};

static const struct lede_opt table[] = {
    {.name = "frontend",
     .type = LEDE_OPT_STRING,
     .arg = "EP",
     .def = "tcp://*:5555",
     .help = "clients connect here"},
    {.name = "queue-max",
     .type = LEDE_OPT_INT,
     .def = "10000",
     .min = 1,
     .max = 1000000,
     .help = "queued calls"},
    {.name = "ratio", .type = LEDE_OPT_DOUBLE, .def = "0.5", .min = 0, .max = 1, .help = "a share"},
    {.name = "echo", .type = LEDE_OPT_BOOL, .def = "false", .help = "answer without the engine"},
    {.name = "mode", .type = LEDE_OPT_CHOICE, .def = "fast", .choices = modes, .help = "how"},
    {.name = "idf",
     .type = LEDE_OPT_STRING,
     .arg = "FILE",
     .help = "no default",
     .env = "LEDE_SPECIAL_IDF"},
    LEDE_OPT_LOG_LEVEL,
    LEDE_OPT_METRICS,
};
#define N_OPTS (sizeof table / sizeof table[0])

static char path[64];

static void write_file(const char *text)
{
    snprintf(path, sizeof path, "/tmp/check_config_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Parses argv (NULL-terminated, argv[0] included) with env; returns the code, err filled. */
static int parse(lede_config_t **c, const char *const *argv, const char *const *env, char *err,
                 size_t err_len)
{
    ck_assert_int_eq(lede_config_new("lede-test", "LEDE_TEST", table, N_OPTS, c, err, err_len),
                     LEDE_OK);
    int argc = 0;
    while (argv[argc])
        argc++;
    return lede_config_parse(*c, argc, (char *const *)argv, env, err, err_len);
}

START_TEST(defaults)
{
    lede_config_t *c;
    char err[256];
    const char *argv[] = {"prog", NULL}, *env[] = {NULL};
    ck_assert_int_eq(parse(&c, argv, env, err, sizeof err), LEDE_OK);
    ck_assert_str_eq(lede_config_str(c, "frontend"), "tcp://*:5555");
    ck_assert_int_eq(lede_config_int(c, "queue-max"), 10000);
    ck_assert_double_eq(lede_config_double(c, "ratio"), 0.5);
    ck_assert(!lede_config_bool(c, "echo"));
    ck_assert_int_eq(lede_config_choice(c, "mode"), 0);
    ck_assert_int_eq(lede_config_choice(c, "log-level"), 2);
    ck_assert(!lede_config_is_set(c, "idf"));
    ck_assert_ptr_null(lede_config_str(c, "idf"));
    ck_assert(!lede_config_is_set(c, "metrics"));
    ck_assert_int_eq(lede_config_source(c, "queue-max"), LEDE_CONFIG_DEFAULT);
    ck_assert_int_eq(lede_config_source(c, "idf"), LEDE_CONFIG_UNSET);
    ck_assert_str_eq(lede_config_env_name(c, "queue-max"), "LEDE_TEST_QUEUE_MAX");
    ck_assert_str_eq(lede_config_env_name(c, "idf"), "LEDE_SPECIAL_IDF");
    ck_assert(!lede_config_help_requested(c));
    lede_config_destroy(&c);
    ck_assert_ptr_null(c);
}
END_TEST

/* Each of the four layers, each option kind: the highest layer present wins. */
START_TEST(precedence)
{
    write_file("# a comment\n"
               "frontend = tcp://file:1\n"
               "queue_max = 30\n" /* _ for - in keys */
               "ratio = 0.25\n"
               "echo = yes\n"
               "  mode   =   \"careful\"  \n" /* spaces and quotes */
               "idf = /file/idf\n"
               "metrics = 127.0.0.1:9100\n");
    char cfg[96];
    snprintf(cfg, sizeof cfg, "--config=%s", path);
    /* layer 4 (flags) over 3 (env) over 2 (file) over 1 (default), option by option */
    const char *env[] = {"LEDE_TEST_QUEUE_MAX=20",
                         "LEDE_TEST_RATIO=0.75",
                         "LEDE_SPECIAL_IDF=/env/idf",
                         "LEDE_TEST_ECHO=", /* empty: unset */
                         "LEDE_TEST_MODE=fast",
                         "OTHER=1",
                         NULL};
    const char *argv[] = {"prog",        cfg,  "--queue-max",  "10", "--no-echo", "--mode=careful",
                          "article.txt", "--", "--not-a-flag", NULL};
    lede_config_t *c;
    char err[256];
    ck_assert_int_eq(parse(&c, argv, env, err, sizeof err), LEDE_OK);
    ck_assert_str_eq(lede_config_str(c, "frontend"), "tcp://file:1"); /* file */
    ck_assert_int_eq(lede_config_source(c, "frontend"), LEDE_CONFIG_FILE);
    ck_assert_int_eq(lede_config_int(c, "queue-max"), 10); /* flag */
    ck_assert_int_eq(lede_config_source(c, "queue-max"), LEDE_CONFIG_FLAG);
    ck_assert_double_eq(lede_config_double(c, "ratio"), 0.75); /* env */
    ck_assert_int_eq(lede_config_source(c, "ratio"), LEDE_CONFIG_ENV);
    ck_assert(!lede_config_bool(c, "echo"));            /* flag --no-echo */
    ck_assert_int_eq(lede_config_choice(c, "mode"), 1); /* flag */
    ck_assert_str_eq(lede_config_str(c, "mode"), "careful");
    ck_assert_str_eq(lede_config_str(c, "idf"), "/env/idf");           /* env (own name) */
    ck_assert_str_eq(lede_config_str(c, "metrics"), "127.0.0.1:9100"); /* file */
    ck_assert_str_eq(lede_config_str(c, "log-level"), "info");         /* default */
    ck_assert_str_eq(lede_config_source_name(lede_config_source(c, "log-level")), "default");
    ck_assert_uint_eq(lede_config_n_args(c), 2);
    ck_assert_str_eq(lede_config_arg(c, 0), "article.txt");
    ck_assert_str_eq(lede_config_arg(c, 1), "--not-a-flag");
    ck_assert_ptr_null(lede_config_arg(c, 2));
    lede_config_destroy(&c);

    /* without the flags, the environment wins; without it too, the file */
    const char *argv2[] = {"prog", "--config", path, NULL};
    ck_assert_int_eq(parse(&c, argv2, env, err, sizeof err), LEDE_OK);
    ck_assert_int_eq(lede_config_int(c, "queue-max"), 20);
    ck_assert(lede_config_bool(c, "echo")); /* the empty variable did not hide the file */
    ck_assert_int_eq(lede_config_choice(c, "mode"), 0);
    lede_config_destroy(&c);
    const char *noenv[] = {NULL};
    ck_assert_int_eq(parse(&c, argv2, noenv, err, sizeof err), LEDE_OK);
    ck_assert_int_eq(lede_config_int(c, "queue-max"), 30);
    ck_assert_str_eq(lede_config_str(c, "idf"), "/file/idf");
    lede_config_destroy(&c);

    /* the config file can also come from the environment */
    char var[96];
    snprintf(var, sizeof var, "LEDE_TEST_CONFIG=%s", path);
    const char *env3[] = {var, NULL}, *argv3[] = {"prog", NULL};
    ck_assert_int_eq(parse(&c, argv3, env3, err, sizeof err), LEDE_OK);
    ck_assert_int_eq(lede_config_int(c, "queue-max"), 30);
    lede_config_destroy(&c);
    unlink(path);
}
END_TEST

struct bad_case {
    const char *argv[4];
    const char *env;
    const char *file;
    int rc;
    const char *want[3]; /* substrings of the message */
};

START_TEST(errors_name_the_setting)
{
    static const struct bad_case cases[] = {
        {{"prog", "--queue-max", "abc"},
         NULL,
         NULL,
         LEDE_EINVAL,
         {"--queue-max", "from 1 to 1000000", "\"abc\" (from the command line)"}},
        {{"prog", "--queue-max=0"}, NULL, NULL, LEDE_EINVAL, {"--queue-max", "\"0\""}},
        {{"prog"},
         "LEDE_TEST_QUEUE_MAX=12x",
         NULL,
         LEDE_EINVAL,
         {"--queue-max", "\"12x\"", "environment variable LEDE_TEST_QUEUE_MAX"}},
        {{"prog"}, "LEDE_TEST_RATIO=1.5", NULL, LEDE_EINVAL, {"--ratio", "from 0 to 1"}},
        {{"prog"}, "LEDE_TEST_ECHO=maybe", NULL, LEDE_EINVAL, {"--echo", "true or false"}},
        {{"prog", "--mode", "reckless"},
         NULL,
         NULL,
         LEDE_EINVAL,
         {"--mode", "one of fast, careful", "\"reckless\""}},
        {{"prog", "--log-level=loud"}, NULL, NULL, LEDE_EINVAL, {"--log-level", "debug"}},
        {{"prog", "--metrics", "localhost"}, NULL, NULL, LEDE_EINVAL, {"--metrics", "ADDR:PORT"}},
        {{"prog", "--metrics", ":70000"}, NULL, NULL, LEDE_EINVAL, {"--metrics", "0 to 65535"}},
        {{"prog", "--frontend"}, NULL, NULL, LEDE_EINVAL, {"--frontend needs a value (EP)"}},
        {{"prog", "--bogus", "1"},
         NULL,
         NULL,
         LEDE_EINVAL,
         {"unknown option \"--bogus\"", "lede-test --help"}},
        {{"prog", "-x"}, NULL, NULL, LEDE_EINVAL, {"unknown option \"-x\""}},
        {{"prog", "--no-queue-max"}, NULL, NULL, LEDE_EINVAL, {"unknown option"}},
        {{"prog", "--config"}, NULL, NULL, LEDE_EINVAL, {"--config needs a FILE"}},
        {{"prog", "--config", "/nonexistent/lede.conf"},
         NULL,
         NULL,
         LEDE_EIO,
         {"cannot read /nonexistent/lede.conf"}},
        {{"prog"}, NULL, "queue-max = 5\nwat = 1\n", LEDE_EINVAL, {":2: unknown setting \"wat\""}},
        {{"prog"},
         NULL,
         "\n# ok\nqueue-max = -5\n",
         LEDE_EINVAL,
         {"--queue-max", "\"-5\"", "line 3"}},
        {{"prog"}, NULL, "just words\n", LEDE_EINVAL, {":1: expected \"key = value\""}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct bad_case *bc = &cases[k];
        char var[128] = "";
        const char *env[3] = {bc->env, NULL, NULL};
        if (bc->file) {
            write_file(bc->file);
            snprintf(var, sizeof var, "LEDE_TEST_CONFIG=%s", path);
            env[bc->env ? 1 : 0] = var;
        }
        lede_config_t *c;
        char err[256] = "";
        int rc = parse(&c, bc->argv, env, err, sizeof err);
        ck_assert_msg(rc == bc->rc, "case %zu: rc %d, want %d (%s)", k, rc, bc->rc, err);
        for (size_t w = 0; w < 3 && bc->want[w]; w++)
            ck_assert_msg(strstr(err, bc->want[w]) != NULL, "case %zu: \"%s\" lacks \"%s\"", k, err,
                          bc->want[w]);
        lede_config_destroy(&c);
        if (bc->file)
            unlink(path);
    }
}
END_TEST

START_TEST(bad_tables_refused)
{
    static const struct lede_opt dup[] = {{.name = "a"}, {.name = "a"}};
    static const struct lede_opt nochoice[] = {{.name = "a", .type = LEDE_OPT_CHOICE}};
    static const struct lede_opt baddef[] = {{.name = "n", .type = LEDE_OPT_INT, .def = "x"}};
    static const struct lede_opt reserved[] = {{.name = "config"}};
    lede_config_t *c = NULL;
    char err[256];
    ck_assert_int_eq(lede_config_new("p", "P", dup, 2, &c, err, sizeof err), LEDE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "--a is declared twice"));
    ck_assert_int_eq(lede_config_new("p", "P", nochoice, 1, &c, err, sizeof err), LEDE_EINVAL);
    ck_assert_int_eq(lede_config_new("p", "P", baddef, 1, &c, err, sizeof err), LEDE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "the default"));
    ck_assert_int_eq(lede_config_new("p", "P", reserved, 1, &c, err, sizeof err), LEDE_EINVAL);
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(help_lists_three_forms)
{
    lede_config_t *c;
    char err[256];
    const char *argv[] = {"prog", "--queue-max", "bad but ignored", "--help", NULL};
    const char *env[] = {NULL};
    ck_assert_int_eq(parse(&c, argv, env, err, sizeof err), LEDE_OK);
    ck_assert(lede_config_help_requested(c));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    lede_config_help(c, f, "usage: lede-test [options]", "Signals: none.");
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "usage: lede-test [options]\n"));
    for (size_t i = 0; i < N_OPTS; i++) {
        char want[160];
        const struct lede_opt *o = &table[i];
        snprintf(want, sizeof want, "--%s", o->name);
        ck_assert_msg(strstr(text, want) != NULL, "help lacks %s", want);
        snprintf(want, sizeof want, "env %s=", lede_config_env_name(c, o->name));
        ck_assert_msg(strstr(text, want) != NULL, "help lacks %s", want);
        snprintf(want, sizeof want, "file: %s = ", o->name);
        ck_assert_msg(strstr(text, want) != NULL, "help lacks %s", want);
    }
    ck_assert_ptr_nonnull(strstr(text, "--queue-max N"));
    ck_assert_ptr_nonnull(strstr(text, "(default 10000)"));
    ck_assert_ptr_nonnull(strstr(text, "--echo, --no-echo"));
    ck_assert_ptr_nonnull(strstr(text, "env LEDE_TEST_CONFIG=FILE"));
    ck_assert_ptr_nonnull(strstr(text, "Signals: none.\n"));
    free(text);
    lede_config_destroy(&c);
}
END_TEST

/* A repeatable option gathers its repeats within one layer; a higher layer replaces it. */
static const struct lede_opt group_table[] = {
    {.name = "broker", .arg = "EP", .repeat = true, .help = "brokers"},
    {.name = "sentences", .type = LEDE_OPT_INT, .def = "3", .help = "a budget"},
    {.name = "words", .type = LEDE_OPT_INT, .help = "a budget"},
    {.name = "local", .type = LEDE_OPT_BOOL, .help = "in-process"},
};

static int parse_group(lede_config_t **c, const char *const *argv, const char *const *env,
                       char *err, size_t err_len)
{
    ck_assert_int_eq(lede_config_new("lede-test", "LEDE_TEST", group_table, 4, c, err, err_len),
                     LEDE_OK);
    int argc = 0;
    while (argv[argc])
        argc++;
    return lede_config_parse(*c, argc, (char *const *)argv, env, err, err_len);
}

START_TEST(repeat_and_one_of)
{
    static const char *const budgets[] = {"sentences", "words", NULL};
    static const char *const where[] = {"local", "broker", NULL};
    lede_config_t *c;
    char err[256];
    write_file("broker = tcp://f:1\nbroker = tcp://f:2\nwords = 40\n");
    char var[96];
    snprintf(var, sizeof var, "LEDE_TEST_CONFIG=%s", path);
    /* the file's two lines gather; the default budget loses to the file's words */
    const char *argv0[] = {"prog", NULL}, *env0[] = {var, NULL};
    ck_assert_int_eq(parse_group(&c, argv0, env0, err, sizeof err), LEDE_OK);
    ck_assert_str_eq(lede_config_str(c, "broker"), "tcp://f:1,tcp://f:2");
    ck_assert_int_eq(lede_config_one_of(c, budgets, err, sizeof err), 1);
    ck_assert_int_eq(lede_config_one_of(c, where, err, sizeof err), 1);
    lede_config_destroy(&c);
    /* flags replace the environment's list, and gather among themselves */
    const char *argv1[] = {"prog",        "--broker", "tcp://a:1", "--broker=tcp://b:2",
                           "--sentences", "2",        NULL};
    const char *env1[] = {"LEDE_TEST_BROKER=tcp://e:1,tcp://e:2", var, NULL};
    ck_assert_int_eq(parse_group(&c, argv1, env1, err, sizeof err), LEDE_OK);
    ck_assert_str_eq(lede_config_str(c, "broker"), "tcp://a:1,tcp://b:2");
    ck_assert_int_eq(lede_config_one_of(c, budgets, err, sizeof err), 0); /* flag over file */
    lede_config_destroy(&c);
    const char *argv2[] = {"prog", NULL};
    ck_assert_int_eq(parse_group(&c, argv2, env1, err, sizeof err), LEDE_OK);
    ck_assert_str_eq(lede_config_str(c, "broker"), "tcp://e:1,tcp://e:2"); /* env over file */
    lede_config_destroy(&c);
    unlink(path);
    /* none given: the one with a default; a false bool does not count */
    const char *argv3[] = {"prog", "--no-local", NULL}, *noenv[] = {NULL};
    ck_assert_int_eq(parse_group(&c, argv3, noenv, err, sizeof err), LEDE_OK);
    ck_assert_int_eq(lede_config_one_of(c, budgets, err, sizeof err), 0);
    ck_assert_int_eq(lede_config_one_of(c, where, err, sizeof err), -1);
    lede_config_destroy(&c);
    /* two from the same layer: a conflict naming both */
    const char *argv4[] = {"prog", "--local",     "--broker", "tcp://a:1", "--words",
                           "9",    "--sentences", "1",        NULL};
    ck_assert_int_eq(parse_group(&c, argv4, noenv, err, sizeof err), LEDE_OK);
    ck_assert_int_eq(lede_config_one_of(c, where, err, sizeof err), -2);
    ck_assert_ptr_nonnull(strstr(err, "--local and --broker exclude each other"));
    ck_assert_ptr_nonnull(strstr(err, "command line"));
    ck_assert_int_eq(lede_config_one_of(c, budgets, err, sizeof err), -2);
    lede_config_destroy(&c);
    /* only a string option may repeat; --help says which do */
    static const struct lede_opt badrep[] = {{.name = "n", .type = LEDE_OPT_INT, .repeat = true}};
    ck_assert_int_eq(lede_config_new("p", "P", badrep, 1, &c, err, sizeof err), LEDE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "only a string option can repeat"));
    ck_assert_int_eq(parse_group(&c, argv2, noenv, err, sizeof err), LEDE_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    lede_config_help(c, f, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "brokers (repeatable"));
    free(text);
    lede_config_destroy(&c);
}
END_TEST

/* The tools' whole start: 1 to run, 0 after --help, -1 after an error (the environment read
 * too). */
START_TEST(cli_start)
{
    lede_config_t *c = NULL;
    setenv("LEDE_TEST_WORDS", "40", 1);
    const char *run[] = {"prog", "--broker", "tcp://a:1", NULL};
    ck_assert_int_eq(lede_config_cli("lede-test", "LEDE_TEST", group_table, 4, 0, 3,
                                     (char *const *)run, "usage", NULL, &c),
                     1);
    ck_assert_int_eq(lede_config_int(c, "words"), 40);
    ck_assert_int_eq(lede_config_source(c, "words"), LEDE_CONFIG_ENV);
    lede_config_destroy(&c);
    unsetenv("LEDE_TEST_WORDS");
    const char *help[] = {"prog", "--help", NULL};
    ck_assert_int_eq(lede_config_cli("lede-test", "LEDE_TEST", group_table, 4, 0, 2,
                                     (char *const *)help, "usage: lede-test", NULL, &c),
                     0);
    lede_config_destroy(&c);
    const char *bad[] = {"prog", "--words", "many", NULL};
    ck_assert_int_eq(lede_config_cli("lede-test", "LEDE_TEST", group_table, 4, 0, 3,
                                     (char *const *)bad, "usage", NULL, &c),
                     -1);
    lede_config_destroy(&c);
    const char *extra[] = {"prog", "article.txt", NULL};
    ck_assert_int_eq(lede_config_cli("lede-test", "LEDE_TEST", group_table, 4, 0, 2,
                                     (char *const *)extra, "usage", NULL, &c),
                     -1);
    lede_config_destroy(&c);
    ck_assert_int_eq(lede_config_cli("lede-test", "LEDE_TEST", group_table, 4, 1, 2,
                                     (char *const *)extra, "usage", NULL, &c),
                     1);
    ck_assert_str_eq(lede_config_arg(c, 0), "article.txt");
    lede_config_destroy(&c);
    static const struct lede_opt dup[] = {{.name = "a"}, {.name = "a"}};
    ck_assert_int_eq(lede_config_cli("p", "P", dup, 2, 0, 1, (char *const *)run, "usage", NULL, &c),
                     -1);
    ck_assert_ptr_null(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, precedence);
    tcase_add_test(tc, errors_name_the_setting);
    tcase_add_test(tc, bad_tables_refused);
    tcase_add_test(tc, help_lists_three_forms);
    tcase_add_test(tc, repeat_and_one_of);
    tcase_add_test(tc, cli_start);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
