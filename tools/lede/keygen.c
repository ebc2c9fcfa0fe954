/* keygen.c: `lede keygen NAME` (see keygen.h): a new CURVE key pair from libzmq's
 * zmq_curve_keypair, written by lede_curve_keygen (proto/curve.c), which never overwrites. */
#include "keygen.h"

#include <stdio.h>
#include <string.h>

#include "curve.h"
#include "error.h"

int lede_keygen_main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("usage: lede keygen NAME\n"
               "Writes a new CURVE key pair: NAME.key (secret, mode 0600) and NAME.pub (public),\n"
               "each one line of Z85. A broker takes --curve-secret NAME.key and directories of\n"
               "allowed .pub files (--allow-clients, --allow-workers); workers and clients take\n"
               "--curve-secret NAME.key --broker-key BROKER.pub. Existing files are kept.\n");
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: lede keygen NAME (lede keygen --help)\n");
        return 2;
    }
    char err[512];
    if (lede_curve_keygen(argv[1], err, sizeof err) != LEDE_OK) {
        fprintf(stderr, "lede keygen: %s\n", err);
        return 1;
    }
    printf("wrote %s.key (secret) and %s.pub (public)\n", argv[1], argv[1]);
    return 0;
}
