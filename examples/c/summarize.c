/* summarize.c: the smallest CMS-side program, to copy: read an article on standard input, send
 * it to a lede broker with liblede-client and print the summary, one sentence a line.
 *
 *   cc -std=c11 -Wall -o summarize summarize.c $(pkg-config --cflags --libs lede-client)
 *   ./summarize tcp://broker-host:5555 < article.txt
 *
 * Exit status: 0 with a summary, 1 when the call failed (the status and message are printed),
 * 2 for a usage or start-up error. */
#include <lede/client.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s ENDPOINT[,ENDPOINT...] < article.txt\n", argv[0]);
        return 2;
    }
    /* The article: at most 1 MiB here; liblede-client itself takes far larger ones. */
    size_t cap = 1 << 20, n = 0;
    char *body = malloc(cap);
    if (!body)
        return 2;
    n = fread(body, 1, cap, stdin);

    char err[256];
    lede_client_t *client = NULL;
    if (lede_client_new(argv[1], NULL, &client, err, sizeof err) != LEDE_OK) {
        fprintf(stderr, "summarize: %s\n", err);
        free(body);
        return 2;
    }
    struct lede_client_request req = {
        .body = body,
        .body_len = n,
        .deadline_ms = 10000,
        .budget = LEDE_CLIENT_BUDGET_SENTENCES,
        .budget_value = 3,
    };
    struct lede_client_response *resp = NULL;
    int rc = lede_client_summarize(client, &req, &resp);
    int status = 0;
    if (rc != LEDE_OK) {
        fprintf(stderr, "summarize: %s\n", lede_strerror(rc));
        status = 1;
    } else if (resp->status != 0) {
        fprintf(stderr, "summarize: status %d: %s\n", resp->status, resp->message);
        status = 1;
    } else {
        /* summary[] holds sentence indices in document order; sentences[] their texts. */
        for (size_t i = 0; i < resp->n_summary; i++)
            for (size_t k = 0; k < resp->n_sentences; k++)
                if (resp->sentences[k].index == resp->summary[i])
                    puts(resp->sentences[k].text);
    }
    lede_client_response_destroy(&resp);
    lede_client_destroy(&client);
    free(body);
    return status;
}
