/*
 * ddb_reqid.c: DynamoDB's request id: 52 upper-case alphanumerics (x-amzn-RequestId). The
 * worker's request id (16 of the same characters, the one the logs show) is its first 16
 * characters; the other 36 are derived from it, so the worker (its own error answers) and
 * the supervisor (forwarded answers) give one request the same id.
 * Runs in: workers and the ddb supervisor (pure).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rs/ddb_errors.h"

static int id_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void rs_ddb_request_id(const char *rid, char *out, size_t outlen)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    size_t n = rid != NULL ? strlen(rid) : 0, i;
    if (outlen == 0)
        return;
    for (i = 0; i < n && id_char(rid[i]); i++)
        ;
    if (n != 16 || i != n || outlen < RS_DDB_REQUEST_ID_LEN + 1) {
        snprintf(out, outlen, "%s", rid != NULL ? rid : "");
        return;
    }
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a of the worker's id seeds the rest */
    for (i = 0; i < 16; i++)
        h = (h ^ (unsigned char)rid[i]) * 0x100000001b3ull;
    memcpy(out, rid, 16);
    for (i = 16; i < RS_DDB_REQUEST_ID_LEN; i++) {
        h ^= h >> 12;
        h ^= h << 25;
        h ^= h >> 27;
        out[i] = alphabet[((h * 0x2545F4914F6CDD1Dull) >> 32) % 36];
    }
    out[RS_DDB_REQUEST_ID_LEN] = '\0';
}
