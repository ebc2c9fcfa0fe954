/* curve.c: CURVE key files (one line of Z85) and the client-side socket options; see curve.h.
 * The broker's server side and its ZAP handler are in broker/auth.c. */
#include "curve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "error.h"

#define KEY_FILE_MAX 4096

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int lede_curve_read_key(const char *path, char key[LEDE_CURVE_Z85_LEN + 1], char *err,
                        size_t errlen)
{
    char buf[KEY_FILE_MAX + 1];
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read key file %s: %s", path, strerror(errno));
        return LEDE_EIO;
    }
    size_t n = fread(buf, 1, KEY_FILE_MAX + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "cannot read key file %s", path);
        return LEDE_EIO;
    }
    if (n > KEY_FILE_MAX) {
        snprintf(err, errlen, "key file %s is larger than %d bytes: not a key", path, KEY_FILE_MAX);
        return LEDE_EFORMAT;
    }
    size_t end = n;
    while (end > 0 && is_space(buf[end - 1]))
        end--;
    uint8_t raw[32];
    buf[end] = '\0';
    if (end != LEDE_CURVE_Z85_LEN || !zmq_z85_decode(raw, buf)) {
        snprintf(err, errlen,
                 "key file %s is not one line of %d Z85 characters (lede keygen "
                 "writes them)",
                 path, LEDE_CURVE_Z85_LEN);
        return LEDE_EFORMAT;
    }
    memcpy(key, buf, LEDE_CURVE_Z85_LEN + 1);
    return LEDE_OK;
}

int lede_curve_public_of(const char *secret, char public_[LEDE_CURVE_Z85_LEN + 1])
{
    return zmq_curve_public(public_, secret) == 0 ? LEDE_OK : LEDE_EFORMAT;
}

int lede_curve_client_load(const char *secret_file, const char *broker_key_file,
                           struct lede_curve_client *out, int *on, char *err, size_t errlen)
{
    int have_secret = secret_file && *secret_file,
        have_broker = broker_key_file && *broker_key_file;
    *on = 0;
    if (!have_secret && !have_broker)
        return LEDE_OK;
    if (!have_secret || !have_broker) {
        snprintf(err, errlen, "CURVE needs both --curve-secret FILE and --broker-key FILE");
        return LEDE_EINVAL;
    }
    if (!zmq_has("curve")) {
        snprintf(err, errlen, "this libzmq was built without CURVE");
        return LEDE_EINVAL;
    }
    int rc = lede_curve_read_key(secret_file, out->secret, err, errlen);
    if (rc == LEDE_OK)
        rc = lede_curve_read_key(broker_key_file, out->server, err, errlen);
    if (rc == LEDE_OK && lede_curve_public_of(out->secret, out->public_) != LEDE_OK) {
        snprintf(err, errlen, "%s: not a CURVE secret key", secret_file);
        rc = LEDE_EFORMAT;
    }
    if (rc == LEDE_OK)
        *on = 1;
    return rc;
}

int lede_curve_client_apply(void *sock, const struct lede_curve_client *keys)
{
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, keys->server, LEDE_CURVE_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, keys->public_, LEDE_CURVE_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, keys->secret, LEDE_CURVE_Z85_LEN) != 0)
        return LEDE_EIO;
    int ivl = 5000; /* a half-open handshake is given up after 5 s, not 30 */
    zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl);
    return LEDE_OK;
}

static int write_line(const char *path, const char *line, int mode, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return errno == EEXIST ? LEDE_EINVAL : LEDE_EIO;
    }
    size_t len = strlen(line);
    ssize_t w = write(fd, line, len);
    if (close(fd) != 0 || w != (ssize_t)len) {
        snprintf(err, errlen, "cannot write %s", path);
        unlink(path);
        return LEDE_EIO;
    }
    return LEDE_OK;
}

int lede_curve_keygen(const char *name, char *err, size_t errlen)
{
    char pub[LEDE_CURVE_Z85_LEN + 1], sec[LEDE_CURVE_Z85_LEN + 1];
    char path[4096], line[LEDE_CURVE_Z85_LEN + 2];
    if (!name || !*name || strlen(name) > sizeof path - 8) {
        snprintf(err, errlen, "keygen needs a NAME (of at most %zu bytes)", sizeof path - 8);
        return LEDE_EINVAL;
    }
    if (!zmq_has("curve") || zmq_curve_keypair(pub, sec) != 0) {
        snprintf(err, errlen, "this libzmq cannot make CURVE keys");
        return LEDE_EINVAL;
    }
    snprintf(path, sizeof path, "%s.key", name);
    snprintf(line, sizeof line, "%s\n", sec);
    int rc = write_line(path, line, 0600, err, errlen);
    if (rc != LEDE_OK)
        return rc;
    snprintf(path, sizeof path, "%s.pub", name);
    snprintf(line, sizeof line, "%s\n", pub);
    rc = write_line(path, line, 0644, err, errlen);
    if (rc != LEDE_OK) {
        snprintf(path, sizeof path, "%s.key", name);
        unlink(path);
    }
    return rc;
}
