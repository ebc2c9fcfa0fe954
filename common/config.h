/* config.h: settings for lede's processes from a table of option descriptors. Each option is
 * a flag (--queue-max N), an environment variable (LEDE_BROKER_QUEUE_MAX) and a key in an
 * optional config file (--config FILE, `queue-max = N` lines); precedence
 * flag > environment > file > default. A bad value stops start-up with a message naming the
 * setting and where it came from. lede_config_help prints all three forms of every option. */
#ifndef LEDE_CONFIG_H
#define LEDE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "log.h"

enum lede_opt_type {
    LEDE_OPT_STRING = 0, /* any text */
    LEDE_OPT_INT,        /* a whole number in [min, max] (both 0: any number >= 0) */
    LEDE_OPT_DOUBLE,     /* a finite number in [min, max] (both 0: any) */
    LEDE_OPT_BOOL,       /* flag alone or --no-NAME; as text: 1/0, true/false, yes/no, on/off */
    LEDE_OPT_CHOICE,     /* one of choices (case-insensitive); read back as its index */
    LEDE_OPT_LISTEN,     /* ADDR:PORT for a listening socket (see http.h) */
};

/* One option. Strings are borrowed: the table must outlive the lede_config_t (a static
 * table is the usual case). */
struct lede_opt {
    const char *name;           /* flag without "--" and config-file key, e.g. "queue-max" */
    int type;                   /* enum lede_opt_type */
    const char *arg;            /* placeholder in --help ("N", "EP"); NULL: one from the type */
    const char *def;            /* the default as text; NULL: unset unless given */
    const char *help;           /* one line */
    double min, max;            /* LEDE_OPT_INT / LEDE_OPT_DOUBLE range */
    const char *const *choices; /* LEDE_OPT_CHOICE: NULL-terminated */
    const char *env;            /* the variable; NULL: PREFIX_NAME (upper case, - as _) */
    bool repeat; /* LEDE_OPT_STRING: each repeat of the flag (or file key) adds to the value,
                    joined by commas ("--broker A --broker B" reads "A,B"); a higher layer
                    still replaces a lower one; the variable holds the whole list */
};

/* Options every lede process shares: add these to a table to get them. The choices are log.h's
 * names, so a choice's index is the level or format. */
#define LEDE_OPT_LOG_LEVEL                                                                         \
    {                                                                                              \
        .name = "log-level", .type = LEDE_OPT_CHOICE, .arg = "LEVEL", .def = "info",               \
        .help = "error, warn, info or debug", .choices = lede_log_level_names                      \
    }
#define LEDE_OPT_LOG_FORMAT                                                                        \
    {                                                                                              \
        .name = "log-format", .type = LEDE_OPT_CHOICE, .arg = "FORMAT", .def = "logfmt",           \
        .help = "log lines as logfmt or json", .choices = lede_log_format_names                    \
    }
#define LEDE_OPT_METRICS                                                                           \
    {                                                                                              \
        .name = "metrics", .type = LEDE_OPT_LISTEN, .arg = "ADDR:PORT",                            \
        .help = "serve /metrics, /healthz and /readyz over HTTP here (e.g. 0.0.0.0:9100)"          \
    }

#define LEDE_CONFIG_MAX_OPTS 128
#define LEDE_CONFIG_MAX_FILE (1u << 20) /* bytes of a config file */
#define LEDE_CONFIG_MAX_LINE 4096       /* bytes of one line of it */
#define LEDE_CONFIG_MAX_ARGS 256        /* positional arguments */

enum lede_config_source {
    LEDE_CONFIG_UNSET = 0,
    LEDE_CONFIG_DEFAULT,
    LEDE_CONFIG_FILE,
    LEDE_CONFIG_ENV,
    LEDE_CONFIG_FLAG,
};

typedef struct lede_config lede_config_t;

/* A configuration for program (used in messages and --help) whose variables are named
 * env_prefix + "_" + NAME (e.g. "LEDE_BROKER"), from opts[0..n). Adds --config FILE
 * (variable PREFIX_CONFIG) and --help. On LEDE_OK *out is the caller's (lede_config_destroy).
 * Errors: LEDE_EINVAL for a bad table (empty or duplicate name, a CHOICE without choices, a
 * default that fails its own check; err says which), LEDE_ENOMEM. */
int lede_config_new(const char *program, const char *env_prefix, const struct lede_opt *opts,
                    size_t n, lede_config_t **out, char *err, size_t err_len);
void lede_config_destroy(lede_config_t **c);

/* Reads the defaults, the --config file, the environment (env: NULL-terminated "K=V"
 * strings; NULL means the process's), and argv[1..argc) in that order, later ones winning.
 * --help/-h anywhere: returns LEDE_OK at once with lede_config_help_requested true.
 * Errors (err names the setting, its value and its source): LEDE_EINVAL (unknown flag, a
 * missing argument, a bad value, an unknown key in the file), LEDE_EIO (the file cannot be
 * read), LEDE_ETOOBIG (file or line too long, too many arguments). May be called once. */
int lede_config_parse(lede_config_t *c, int argc, char *const *argv, const char *const *env,
                      char *err, size_t err_len);
bool lede_config_help_requested(const lede_config_t *c);

/* The whole start of a command-line tool: a configuration from opts (as lede_config_new) read
 * from the process's environment and argv (as lede_config_parse), with at most max_args
 * positional arguments. Returns 1 to run (*out the caller's), 0 when --help was asked for
 * (printed to stdout: usage, the options, epilogue), -1 when the table or the arguments are bad
 * ("program: why" printed to stderr). On 0 and -1, *out may be set too: lede_config_destroy it
 * all the same. */
int lede_config_cli(const char *program, const char *env_prefix, const struct lede_opt *opts,
                    size_t n, size_t max_args, int argc, char *const *argv, const char *usage,
                    const char *epilogue, lede_config_t **out);

/* Prints usage, then every option with its flag, variable and file key, its default and
 * help, then epilogue (may be NULL). */
void lede_config_help(const lede_config_t *c, FILE *f, const char *usage, const char *epilogue);
/* The variable name of an option (borrowed), e.g. "LEDE_BROKER_QUEUE_MAX". */
const char *lede_config_env_name(const lede_config_t *c, const char *name);

/* Values after lede_config_parse. name must be in the table (else: 0/NULL/false, and an
 * assertion in debug builds). Strings are borrowed from c. */
bool lede_config_is_set(const lede_config_t *c, const char *name);
const char *lede_config_str(const lede_config_t *c, const char *name); /* NULL: unset */
/* Like lede_config_str, but an empty value ("--ready-file ''") is unset too. */
const char *lede_config_str_set(const lede_config_t *c, const char *name);
long long lede_config_int(const lede_config_t *c, const char *name);
double lede_config_double(const lede_config_t *c, const char *name);
bool lede_config_bool(const lede_config_t *c, const char *name);
int lede_config_choice(const lede_config_t *c, const char *name); /* index, -1: unset */
int lede_config_source(const lede_config_t *c, const char *name); /* enum lede_config_source */
/* "flag", "env", "file", "default" or "unset" (static). */
const char *lede_config_source_name(int source);

/* Of the options names (NULL-terminated) that exclude each other, the one that was given
 * from the highest layer (flag over environment over file over default; a bool counts only
 * when true): its index in names, or -1 when none was. Two from the same layer (above the
 * default) are a conflict: -2, with err naming both and where they came from. */
int lede_config_one_of(const lede_config_t *c, const char *const *names, char *err, size_t err_len);

/* The table: how many options and each one (borrowed), e.g. to ask whether one is declared. */
size_t lede_config_n_opts(const lede_config_t *c);
const struct lede_opt *lede_config_opt(const lede_config_t *c, size_t i);

/* Positional arguments (those not starting with -, and all after "--"), in order. */
size_t lede_config_n_args(const lede_config_t *c);
const char *lede_config_arg(const lede_config_t *c, size_t i);

#endif
