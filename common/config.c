/* config.c: option tables read from defaults, a config file, the environment and the
 * command line (in that order, later ones winning); see config.h. */
#include "config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "http.h"

struct value {
    char *text; /* as given (owned) */
    long long i;
    double d;
    bool b;
    int choice;
    int source;
};

struct lede_config {
    char *program;
    const struct lede_opt *opts;
    size_t n;
    char **env_names; /* per option, owned */
    char *config_env; /* PREFIX_CONFIG */
    struct value *vals;
    bool help;
    char *args[LEDE_CONFIG_MAX_ARGS];
    size_t n_args;
};

static char *env_name_of(const char *prefix, const char *name)
{
    size_t pl = prefix ? strlen(prefix) : 0, nl = strlen(name);
    char *s = malloc(pl + nl + 2);
    if (!s)
        return NULL;
    size_t k = 0;
    if (pl) {
        memcpy(s, prefix, pl);
        k = pl;
        s[k++] = '_';
    }
    for (size_t i = 0; i < nl; i++)
        s[k++] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
    s[k] = 0;
    return s;
}

static int find(const lede_config_t *c, const char *name, size_t len)
{
    for (size_t i = 0; i < c->n; i++) {
        const char *o = c->opts[i].name;
        if (strlen(o) != len)
            continue;
        bool same = true;
        for (size_t k = 0; k < len && same; k++) /* file keys may use _ for - */
            same = o[k] == name[k] || (o[k] == '-' && name[k] == '_');
        if (same)
            return (int)i;
    }
    return -1;
}

static const char *type_arg(int type)
{
    switch (type) {
    case LEDE_OPT_INT: return "N";
    case LEDE_OPT_DOUBLE: return "X";
    case LEDE_OPT_BOOL: return "BOOL";
    case LEDE_OPT_LISTEN: return "ADDR:PORT";
    default: return "VALUE";
    }
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* Checks text against option i and stores it with source. where: "the command line", ... */
static int set_value(lede_config_t *c, size_t i, const char *text, int source, const char *where,
                     char *err, size_t err_len)
{
    const struct lede_opt *o = &c->opts[i];
    struct value v = {.source = source, .choice = -1};
    char why[300] = "";
    bool ranged = o->min != 0 || o->max != 0;
    switch (o->type) {
    case LEDE_OPT_INT: {
        char *end;
        errno = 0;
        long long x = strtoll(text, &end, 10);
        if (!*text || *end || errno || (ranged ? (x < o->min || x > o->max) : x < 0)) {
            if (ranged)
                snprintf(why, sizeof why, "must be a whole number from %.15g to %.15g", o->min,
                         o->max);
            else
                snprintf(why, sizeof why, "must be a whole number >= 0");
        }
        v.i = x;
        v.d = (double)x;
        break;
    }
    case LEDE_OPT_DOUBLE: {
        char *end;
        errno = 0;
        double x = strtod(text, &end);
        if (!*text || *end || errno || !isfinite(x) || (ranged && (x < o->min || x > o->max))) {
            if (ranged)
                snprintf(why, sizeof why, "must be a number from %.15g to %.15g", o->min, o->max);
            else
                snprintf(why, sizeof why, "must be a finite number");
        }
        v.d = x;
        break;
    }
    case LEDE_OPT_BOOL:
        if (parse_bool(text, &v.b))
            snprintf(why, sizeof why, "must be true or false (1/0, yes/no, on/off)");
        break;
    case LEDE_OPT_CHOICE:
        for (int k = 0; o->choices && o->choices[k]; k++)
            if (!strcasecmp(text, o->choices[k]))
                v.choice = k;
        if (v.choice < 0) {
            size_t p = (size_t)snprintf(why, sizeof why, "must be one of");
            for (int k = 0; o->choices && o->choices[k] && p < sizeof why; k++)
                p +=
                    (size_t)snprintf(why + p, sizeof why - p, "%s %s", k ? "," : "", o->choices[k]);
        }
        break;
    case LEDE_OPT_LISTEN: {
        char e[200];
        if (lede_http_check_listen(text, e, sizeof e))
            snprintf(why, sizeof why, "%s", e);
        break;
    }
    default: break;
    }
    if (why[0]) {
        snprintf(err, err_len, "--%s: %s, not \"%s\" (from %s)", o->name, why, text, where);
        return LEDE_EINVAL;
    }
    struct value *cur = &c->vals[i];
    if (o->repeat && cur->source == source && cur->text) { /* a repeat in the same layer */
        size_t a = strlen(cur->text), b = strlen(text);
        v.text = malloc(a + b + 2);
        if (v.text) {
            memcpy(v.text, cur->text, a);
            v.text[a] = ',';
            memcpy(v.text + a + 1, text, b + 1);
        }
    } else {
        v.text = strdup(text);
    }
    if (!v.text)
        return LEDE_ENOMEM;
    free(c->vals[i].text);
    c->vals[i] = v;
    return LEDE_OK;
}

int lede_config_new(const char *program, const char *env_prefix, const struct lede_opt *opts,
                    size_t n, lede_config_t **out, char *err, size_t err_len)
{
    char tmp[256];
    if (!err) {
        err = tmp;
        err_len = sizeof tmp;
    }
    *out = NULL;
    if (n > LEDE_CONFIG_MAX_OPTS) {
        snprintf(err, err_len, "too many options (%zu > %d)", n, LEDE_CONFIG_MAX_OPTS);
        return LEDE_EINVAL;
    }
    lede_config_t *c = calloc(1, sizeof *c);
    if (!c)
        return LEDE_ENOMEM;
    int rc = LEDE_ENOMEM;
    c->opts = opts;
    c->n = n;
    c->program = strdup(program ? program : "lede");
    c->env_names = calloc(n ? n : 1, sizeof *c->env_names);
    c->vals = calloc(n ? n : 1, sizeof *c->vals);
    c->config_env = env_name_of(env_prefix, "config");
    if (!c->program || !c->env_names || !c->vals || !c->config_env)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const struct lede_opt *o = &opts[i];
        c->vals[i].choice = -1;
        rc = LEDE_EINVAL;
        if (!o->name || !*o->name || o->name[0] == '-' || !strcmp(o->name, "config") ||
            !strcmp(o->name, "help") || !strncmp(o->name, "no-", 3)) {
            snprintf(err, err_len, "option %zu: a bad name", i);
            goto fail;
        }
        if (find(c, o->name, strlen(o->name)) != (int)i) {
            snprintf(err, err_len, "option --%s is declared twice", o->name);
            goto fail;
        }
        if (o->type < LEDE_OPT_STRING || o->type > LEDE_OPT_LISTEN ||
            (o->type == LEDE_OPT_CHOICE && (!o->choices || !o->choices[0]))) {
            snprintf(err, err_len, "option --%s: a bad type or no choices", o->name);
            goto fail;
        }
        if (o->repeat && o->type != LEDE_OPT_STRING) {
            snprintf(err, err_len, "option --%s: only a string option can repeat", o->name);
            goto fail;
        }
        rc = LEDE_ENOMEM;
        c->env_names[i] = o->env ? strdup(o->env) : env_name_of(env_prefix, o->name);
        if (!c->env_names[i])
            goto fail;
        if (o->def &&
            (rc = set_value(c, i, o->def, LEDE_CONFIG_DEFAULT, "the default", err, err_len)))
            goto fail;
    }
    *out = c;
    return LEDE_OK;
fail:
    lede_config_destroy(&c);
    return rc;
}

void lede_config_destroy(lede_config_t **c)
{
    if (!c || !*c)
        return;
    lede_config_t *x = *c;
    for (size_t i = 0; i < x->n; i++) {
        if (x->env_names)
            free(x->env_names[i]);
        if (x->vals)
            free(x->vals[i].text);
    }
    free(x->env_names);
    free(x->vals);
    free(x->config_env);
    free(x->program);
    free(x);
    *c = NULL;
}

static const char *env_get(const char *const *env, const char *name)
{
    const char *v = NULL;
    if (!env) {
        v = getenv(name);
    } else {
        size_t n = strlen(name);
        for (size_t i = 0; env[i] && !v; i++)
            if (!strncmp(env[i], name, n) && env[i][n] == '=')
                v = env[i] + n + 1;
    }
    return v && *v ? v : NULL; /* an empty variable counts as unset */
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = 0;
    return s;
}

static int read_file(lede_config_t *c, const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "--config: cannot read %s: %s", path, strerror(errno));
        return LEDE_EIO;
    }
    int rc = LEDE_OK;
    char *line = malloc(LEDE_CONFIG_MAX_LINE + 2);
    size_t total = 0, lineno = 0;
    if (!line) {
        fclose(f);
        return LEDE_ENOMEM;
    }
    while (fgets(line, LEDE_CONFIG_MAX_LINE + 2, f)) {
        lineno++;
        size_t len = strlen(line);
        total += len;
        if (total > LEDE_CONFIG_MAX_FILE) {
            snprintf(err, err_len, "%s: larger than %u bytes", path, LEDE_CONFIG_MAX_FILE);
            rc = LEDE_ETOOBIG;
            break;
        }
        if (len > LEDE_CONFIG_MAX_LINE && line[len - 1] != '\n') {
            snprintf(err, err_len, "%s:%zu: line longer than %d bytes", path, lineno,
                     LEDE_CONFIG_MAX_LINE);
            rc = LEDE_ETOOBIG;
            break;
        }
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, err_len, "%s:%zu: expected \"key = value\", got \"%.80s\"", path, lineno,
                     s);
            rc = LEDE_EINVAL;
            break;
        }
        *eq = 0;
        char *key = trim(s), *val = trim(eq + 1);
        size_t vl = strlen(val);
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val[vl - 1] = 0;
            val++;
        }
        int i = find(c, key, strlen(key));
        if (i < 0) {
            snprintf(err, err_len, "%s:%zu: unknown setting \"%.80s\" (%s --help lists them)", path,
                     lineno, key, c->program);
            rc = LEDE_EINVAL;
            break;
        }
        char where[300];
        snprintf(where, sizeof where, "%.200s line %zu", path, lineno);
        if ((rc = set_value(c, (size_t)i, val, LEDE_CONFIG_FILE, where, err, err_len)))
            break;
    }
    if (rc == LEDE_OK && ferror(f)) {
        snprintf(err, err_len, "--config: error reading %s", path);
        rc = LEDE_EIO;
    }
    free(line);
    fclose(f);
    return rc;
}

/* Splits argv[k] into an option index and inline value. Returns the index, -2 for --config,
 * -1 for an unknown option; *neg for --no-NAME of a bool. */
static int flag_of(const lede_config_t *c, const char *a, const char **inline_val, bool *neg)
{
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    *inline_val = eq ? eq + 1 : NULL;
    *neg = false;
    if (len == 6 && !strncmp(name, "config", 6))
        return -2;
    int i = find(c, name, len);
    if (i < 0 && len > 3 && !strncmp(name, "no-", 3)) {
        i = find(c, name + 3, len - 3);
        if (i >= 0 && c->opts[i].type == LEDE_OPT_BOOL && !eq)
            *neg = true;
        else
            i = -1;
    }
    return i;
}

int lede_config_parse(lede_config_t *c, int argc, char *const *argv, const char *const *env,
                      char *err, size_t err_len)
{
    char tmp[256];
    if (!err) {
        err = tmp;
        err_len = sizeof tmp;
    }
    err[0] = 0;
    /* First pass: --help, and where the config file is. */
    const char *config_path = env_get(env, c->config_env);
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (!strcmp(a, "--"))
            break;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            c->help = true;
            return LEDE_OK;
        }
        if (!strncmp(a, "--config", 8) && (a[8] == 0 || a[8] == '=')) {
            if (a[8] == '=')
                config_path = a + 9;
            else if (k + 1 < argc)
                config_path = argv[++k];
            else {
                snprintf(err, err_len, "--config needs a FILE");
                return LEDE_EINVAL;
            }
        }
    }
    int rc;
    if (config_path && (rc = read_file(c, config_path, err, err_len)))
        return rc;
    for (size_t i = 0; i < c->n; i++) {
        const char *v = env_get(env, c->env_names[i]);
        char where[200];
        snprintf(where, sizeof where, "environment variable %s", c->env_names[i]);
        if (v && (rc = set_value(c, i, v, LEDE_CONFIG_ENV, where, err, err_len)))
            return rc;
    }
    bool only_args = false;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (only_args || a[0] != '-' || !strcmp(a, "-")) {
            if (c->n_args >= LEDE_CONFIG_MAX_ARGS) {
                snprintf(err, err_len, "more than %d arguments", LEDE_CONFIG_MAX_ARGS);
                return LEDE_ETOOBIG;
            }
            c->args[c->n_args++] = (char *)a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_args = true;
            continue;
        }
        if (a[1] != '-') {
            snprintf(err, err_len, "unknown option \"%s\" (%s --help lists them)", a, c->program);
            return LEDE_EINVAL;
        }
        const char *val;
        bool neg;
        int i = flag_of(c, a, &val, &neg);
        if (i == -2) { /* --config: read in the first pass */
            if (!val)
                k++;
            continue;
        }
        if (i < 0) {
            snprintf(err, err_len, "unknown option \"%s\" (%s --help lists them)", a, c->program);
            return LEDE_EINVAL;
        }
        if (c->opts[i].type == LEDE_OPT_BOOL && !val) {
            val = neg ? "false" : "true";
        } else if (!val) {
            if (k + 1 >= argc) {
                snprintf(err, err_len, "--%s needs a value (%s)", c->opts[i].name,
                         c->opts[i].arg ? c->opts[i].arg : type_arg(c->opts[i].type));
                return LEDE_EINVAL;
            }
            val = argv[++k];
        }
        if ((rc = set_value(c, (size_t)i, val, LEDE_CONFIG_FLAG, "the command line", err, err_len)))
            return rc;
    }
    return LEDE_OK;
}

bool lede_config_help_requested(const lede_config_t *c)
{
    return c->help;
}

void lede_config_help(const lede_config_t *c, FILE *f, const char *usage, const char *epilogue)
{
    if (usage)
        fprintf(f, "%s\n", usage);
    fprintf(f,
            "\nOptions. Each can also be set by an environment variable or by a \"key = value\"\n"
            "line in the --config file; a flag wins over the variable, the variable over the\n"
            "file, the file over the default.\n\n");
    for (size_t i = 0; i < c->n; i++) {
        const struct lede_opt *o = &c->opts[i];
        const char *arg = o->arg ? o->arg : type_arg(o->type);
        char flag[96];
        if (o->type == LEDE_OPT_BOOL)
            snprintf(flag, sizeof flag, "--%s, --no-%s", o->name, o->name);
        else
            snprintf(flag, sizeof flag, "--%s %s", o->name, arg);
        fprintf(f, "  %-26s %s", flag, o->help ? o->help : "");
        if (o->repeat)
            fprintf(f, " (repeatable)");
        if (o->def)
            fprintf(f, " (default %s)", o->def);
        fprintf(f, "\n  %-26s env %s=%s; file: %s = %s\n", "", c->env_names[i], arg, o->name, arg);
    }
    fprintf(f, "  %-26s %s\n  %-26s env %s=FILE\n", "--config FILE",
            "read settings from FILE (key = value lines, # comments)", "", c->config_env);
    fprintf(f, "  %-26s %s\n", "-h, --help", "this text");
    if (epilogue)
        fprintf(f, "\n%s\n", epilogue);
}

int lede_config_cli(const char *program, const char *env_prefix, const struct lede_opt *opts,
                    size_t n, size_t max_args, int argc, char *const *argv, const char *usage,
                    const char *epilogue, lede_config_t **out)
{
    char err[512] = "";
    if (lede_config_new(program, env_prefix, opts, n, out, err, sizeof err) ||
        lede_config_parse(*out, argc, argv, NULL, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", program, err[0] ? err : "out of memory");
        return -1;
    }
    if (lede_config_help_requested(*out)) {
        lede_config_help(*out, stdout, usage, epilogue);
        return 0;
    }
    if ((*out)->n_args > max_args) {
        fprintf(stderr, "%s: unexpected argument \"%s\" (%s --help)\n", program,
                (*out)->args[max_args], program);
        return -1;
    }
    return 1;
}

static int index_of(const lede_config_t *c, const char *name)
{
    int i = find(c, name, strlen(name));
    assert(i >= 0 && "option not in the table");
    return i;
}

const char *lede_config_env_name(const lede_config_t *c, const char *name)
{
    int i = index_of(c, name);
    return i < 0 ? NULL : c->env_names[i];
}

bool lede_config_is_set(const lede_config_t *c, const char *name)
{
    int i = index_of(c, name);
    return i >= 0 && c->vals[i].source != LEDE_CONFIG_UNSET;
}

const char *lede_config_str(const lede_config_t *c, const char *name)
{
    int i = index_of(c, name);
    return i < 0 ? NULL : c->vals[i].text;
}

const char *lede_config_str_set(const lede_config_t *c, const char *name)
{
    const char *s = lede_config_str(c, name);
    return s && *s ? s : NULL;
}

long long lede_config_int(const lede_config_t *c, const char *name)
{
    int i = index_of(c, name);
    return i < 0 ? 0 : c->vals[i].i;
}

double lede_config_double(const lede_config_t *c, const char *name)
{
    int i = index_of(c, name);
    return i < 0 ? 0 : c->vals[i].d;
}

bool lede_config_bool(const lede_config_t *c, const char *name)
{
    int i = index_of(c, name);
    return i >= 0 && c->vals[i].b;
}

int lede_config_choice(const lede_config_t *c, const char *name)
{
    int i = index_of(c, name);
    return i < 0 ? -1 : c->vals[i].choice;
}

int lede_config_source(const lede_config_t *c, const char *name)
{
    int i = index_of(c, name);
    return i < 0 ? LEDE_CONFIG_UNSET : c->vals[i].source;
}

const char *lede_config_source_name(int source)
{
    static const char *const names[] = {"unset", "default", "file", "env", "flag"};
    return source >= 0 && source <= LEDE_CONFIG_FLAG ? names[source] : "unset";
}

int lede_config_one_of(const lede_config_t *c, const char *const *names, char *err, size_t err_len)
{
    int best = -1, best_src = LEDE_CONFIG_UNSET, tie = -1;
    for (int k = 0; names[k]; k++) {
        int i = index_of(c, names[k]);
        if (i < 0)
            continue;
        const struct value *v = &c->vals[i];
        if (v->source == LEDE_CONFIG_UNSET || (c->opts[i].type == LEDE_OPT_BOOL && !v->b))
            continue;
        if (v->source > best_src) {
            best = k;
            best_src = v->source;
            tie = -1;
        } else if (v->source == best_src) {
            tie = k;
        }
    }
    if (tie >= 0 && best_src > LEDE_CONFIG_DEFAULT) {
        snprintf(err, err_len, "--%s and --%s exclude each other (both from %s)", names[best],
                 names[tie],
                 best_src == LEDE_CONFIG_FLAG  ? "the command line"
                 : best_src == LEDE_CONFIG_ENV ? "the environment"
                                               : "the config file");
        return -2;
    }
    return best;
}

size_t lede_config_n_args(const lede_config_t *c)
{
    return c->n_args;
}

const char *lede_config_arg(const lede_config_t *c, size_t i)
{
    return i < c->n_args ? c->args[i] : NULL;
}

size_t lede_config_n_opts(const lede_config_t *c)
{
    return c->n;
}

const struct lede_opt *lede_config_opt(const lede_config_t *c, size_t i)
{
    return i < c->n ? &c->opts[i] : NULL;
}
