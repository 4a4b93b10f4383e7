/*
 * cred.h: a configured credential (access key, secret key, account), the identity every
 * service verifies signatures against and names the caller's account with.
 * Runs in: workers (and the master, which reads them from the configuration).
 */
#ifndef RS_CRED_H
#define RS_CRED_H

typedef struct rs_cred {
    const char *access_key;
    const char *secret_key;
    const char *account; /* 12 digits */
} rs_cred_t;

#endif
