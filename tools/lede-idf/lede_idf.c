/* lede_idf.c: `lede-idf`, which builds the document-frequency table (engine/idf.h
 * gives the format) from JSONL or plain-text corpora, and describes an existing table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "fileio.h"
#include "idf.h"
#include "record.h"
#include "summarize.h"

/* Both commands; %u: the table version. */
#define USAGE                                                                                      \
    "usage: lede-idf build --out FILE [--min-df N] [--lang L] [--config FILE] CORPUS...\n"         \
    "       lede-idf info FILE\n"                                                                  \
    "\n"                                                                                           \
    "build  counts, for every stem, the documents it occurs in, and writes the table that\n"       \
    "       `lede summarize --idf FILE` and `lede-worker --idf FILE` load. A CORPUS file is\n"     \
    "       JSONL (one object per line; its \"article\" field is a document; detected by\n"        \
    "       a .jsonl name or a first character '{') or plain text (the whole file is one\n"        \
    "       document). --min-df drops stems seen in fewer documents (default 2).\n"                \
    "info   prints a table's version, language, document and term counts.\n"                       \
    "Table format: version %u, documented in engine/idf.h; an engine rejects a\n"                  \
    "table of another version with a message saying so."

static void usage(FILE *f)
{
    fprintf(f, USAGE "\n", LEDE_IDF_VERSION);
}

struct jsonl_ctx {
    lede_idf_builder_t *b;
    const char *path;
    size_t bad;
};

/* One record's article into the table; a line that is not a record is skipped, said for the
 * first five. */
static int add_record(void *ctx, const struct lede_record *r)
{
    struct jsonl_ctx *c = ctx;
    if (r->error) {
        if (c->bad++ < 5)
            fprintf(stderr, "lede-idf: %s:%zu: %s, skipped\n", c->path, r->line, r->error);
        return 0;
    }
    if (lede_idf_builder_add(c->b, r->article, r->article_len)) {
        fprintf(stderr, "lede-idf: %s:%zu: out of memory\n", c->path, r->line);
        return -1;
    }
    return 0;
}

static int add_jsonl(lede_idf_builder_t *b, const char *path, FILE *f)
{
    struct jsonl_ctx c = {.b = b, .path = path};
    char err[256] = "";
    int rc = lede_records_each(f, LEDE_DEFAULT_MAX_BODY * 2, add_record, &c, err, sizeof err);
    if (rc == -1 && err[0])
        fprintf(stderr, "lede-idf: %s: %s\n", path, err);
    return rc;
}

/* build's options: flag, LEDE_IDF_<NAME> variable and --config key from one table, as the
 * daemons have them (common/config.h). */
static const struct lede_opt build_opts[] = {
    {.name = "out", .arg = "FILE", .help = "write the table here (required)"},
    {.name = "min-df",
     .type = LEDE_OPT_INT,
     .arg = "N",
     .def = "2",
     .min = 1,
     .max = 1000000,
     .help = "drop stems seen in fewer documents"},
    {.name = "lang", .arg = "L", .def = "en", .help = "the corpus's language (its stemmer)"},
};

static int build(int argc, char **argv)
{
    lede_config_t *conf = NULL;
    char help[sizeof USAGE + 16];
    snprintf(help, sizeof help, USAGE, LEDE_IDF_VERSION);
    int parsed = lede_config_cli("lede-idf build", "LEDE_IDF", build_opts,
                                 sizeof build_opts / sizeof build_opts[0], LEDE_CONFIG_MAX_ARGS,
                                 argc, argv, help, NULL, &conf);
    if (parsed <= 0) {
        lede_config_destroy(&conf);
        return parsed < 0 ? 2 : 0;
    }
    const char *out = lede_config_str_set(conf, "out"), *lang = lede_config_str(conf, "lang");
    long long min_df = lede_config_int(conf, "min-df");
    if (!out || lede_config_n_args(conf) == 0) {
        fprintf(stderr, "lede-idf: build needs --out FILE and at least one CORPUS file\n");
        lede_config_destroy(&conf);
        return 2;
    }
    lede_idf_builder_t *b = NULL;
    int rc = lede_idf_builder_new(lang, &b);
    if (rc) {
        fprintf(stderr, "lede-idf: %s: %s\n", lang, lede_strerror(rc));
        lede_config_destroy(&conf);
        return 2;
    }
    int status = 1;
    for (size_t i = 0; i < lede_config_n_args(conf); i++) {
        const char *path = lede_config_arg(conf, i);
        FILE *f = fopen(path, "r");
        if (!f) {
            fprintf(stderr, "lede-idf: cannot open %s: %s\n", path, strerror(errno));
            goto out;
        }
        int first = fgetc(f);
        while (first == ' ' || first == '\n' || first == '\t' || first == '\r')
            first = fgetc(f);
        rewind(f);
        size_t len = strlen(path);
        bool jsonl = first == '{' || (len > 6 && !strcmp(path + len - 6, ".jsonl"));
        if (jsonl) {
            rc = add_jsonl(b, path, f);
            fclose(f);
            if (rc)
                goto out;
        } else {
            fclose(f);
            char *text, msg[256];
            size_t n;
            if (lede_read_file(path, LEDE_DEFAULT_MAX_BODY, &text, &n, msg, sizeof msg)) {
                fprintf(stderr, "lede-idf: %s\n", msg);
                goto out;
            }
            rc = lede_idf_builder_add(b, text, n);
            free(text);
            if (rc) {
                fprintf(stderr, "lede-idf: %s: %s\n", path, lede_strerror(rc));
                goto out;
            }
        }
    }
    char *table;
    size_t table_len;
    if (lede_idf_builder_finish(b, (uint32_t)min_df, &table, &table_len)) {
        fprintf(stderr, "lede-idf: out of memory\n");
        goto out;
    }
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(table, 1, table_len, f) != table_len || fclose(f)) {
        fprintf(stderr, "lede-idf: cannot write %s: %s\n", out, strerror(errno));
        free(table);
        goto out;
    }
    fprintf(stderr, "lede-idf: %s: %llu documents, %zu terms\n", out,
            (unsigned long long)lede_idf_builder_docs(b), (table_len - LEDE_IDF_HEADER) / 12);
    free(table);
    status = 0;
out:
    lede_idf_builder_destroy(&b);
    lede_config_destroy(&conf);
    return status;
}

static int info(const char *path)
{
    char *data, msg[256];
    size_t n;
    if (lede_read_file(path, 1u << 30, &data, &n, msg, sizeof msg)) {
        fprintf(stderr, "lede-idf: %s\n", msg);
        return 1;
    }
    struct lede_idf idf;
    int rc = lede_idf_parse(&idf, data, n, msg, sizeof msg);
    free(data);
    if (rc) {
        fprintf(stderr, "lede-idf: %s: %s\n", path, msg);
        return 1;
    }
    printf("version %u\nlanguage %s\ndocuments %llu\nterms %zu\n", LEDE_IDF_VERSION, idf.lang,
           (unsigned long long)idf.n_docs, idf.df.n);
    lede_idf_release(&idf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "build"))
        return build(argc - 1, argv + 1);
    if (argc == 3 && !strcmp(argv[1], "info"))
        return info(argv[2]);
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
