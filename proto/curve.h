/* curve.h: CURVE key files for lede's ZeroMQ links: one line of Z85 per file (NAME.key holds
 * the secret, NAME.pub the public key; `lede keygen NAME` writes both), and the socket options
 * a CURVE client (worker, liblede-client) sets before it connects to a broker. */
#ifndef LEDE_CURVE_H
#define LEDE_CURVE_H

#include <stddef.h>

#define LEDE_CURVE_Z85_LEN 40 /* a 32-byte key in Z85 */

/* A client side of CURVE: our key pair and the broker's public key, as Z85 strings. */
struct lede_curve_client {
    char secret[LEDE_CURVE_Z85_LEN + 1];
    char public_[LEDE_CURVE_Z85_LEN + 1];
    char server[LEDE_CURVE_Z85_LEN + 1];
};

/* Reads a key file: exactly 40 Z85 characters, then optional whitespace, nothing else (at most
 * 4 KiB read). Returns LEDE_OK, or LEDE_EIO (cannot read) / LEDE_EFORMAT (not a key); err says
 * which file and why. */
int lede_curve_read_key(const char *path, char key[LEDE_CURVE_Z85_LEN + 1], char *err,
                        size_t errlen);

/* The public key of a Z85 secret key. LEDE_OK or LEDE_EFORMAT. */
int lede_curve_public_of(const char *secret, char public_[LEDE_CURVE_Z85_LEN + 1]);

/* Loads a client's keys: its secret key file and the broker's public key file. Both must be
 * given, or neither (then *on is 0 and out is untouched). LEDE_OK, LEDE_EINVAL (only one
 * given), LEDE_EIO, LEDE_EFORMAT; err says why. */
int lede_curve_client_load(const char *secret_file, const char *broker_key_file,
                           struct lede_curve_client *out, int *on, char *err, size_t errlen);

/* Sets ZMQ_CURVE_SERVERKEY/PUBLICKEY/SECRETKEY on a socket before zmq_connect.
 * LEDE_OK or LEDE_EIO (libzmq without CURVE). */
int lede_curve_client_apply(void *sock, const struct lede_curve_client *keys);

/* Writes a new key pair: NAME.key (the secret, mode 0600) and NAME.pub. Refuses to overwrite
 * an existing NAME.key. LEDE_OK, LEDE_EIO, LEDE_EINVAL (file exists or no CURVE). */
int lede_curve_keygen(const char *name, char *err, size_t errlen);

#endif
