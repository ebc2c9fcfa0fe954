/* keygen.h: `lede keygen NAME`, which writes a CURVE key pair for a broker, worker or client:
 * NAME.key (the secret, mode 0600) and NAME.pub, each one line of Z85. */
#ifndef LEDE_KEYGEN_H
#define LEDE_KEYGEN_H

/* argv[0] is "keygen". Returns the process exit status (0 ok, 1 failed, 2 usage). */
int lede_keygen_main(int argc, char **argv);

#endif
