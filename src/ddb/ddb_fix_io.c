/*
 * ddb_fix_io.c: the one follow-up request of the item fixes (ddb_fix.c). A guarded
 * UpdateItem (only REMOVE / DELETE) that failed its condition failed either the guard
 * (the item is missing: DynamoDB changes nothing and answers 200) or the caller's own
 * condition (DynamoDB answers ConditionalCheckFailedException). Without a caller's
 * condition it is the guard. With one, a TransactWriteItems ConditionCheck of
 * "(caller's condition) AND attribute_not_exists(key)" decides: it passes only when the
 * item is missing and the caller's condition holds on a missing item, i.e. when DynamoDB
 * would have answered the no-op. A writer creating the item between the two requests makes
 * the answer the ConditionalCheckFailedException: never a created item, never a write.
 * Runs in: the ddb supervisor (the forwarding thread, on its own connection to Local).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ddb/ddb_int.h"
#include "rs/err.h"

static int noop(const rs_ddb_fix_t *fx, rs_ddb_resp_t *resp)
{
    size_t n;
    char *b = rs_ddb_fix_noop_body(fx, &n);
    if (b == NULL)
        return RS_ENOMEM;
    rs_ddb_resp_free(resp);
    resp->status = 200;
    resp->body = b;
    resp->body_len = n;
    return 0;
}

int rs_ddb_fix_followup(const rs_ddb_fix_t *fx, rs_ddb_conn_t *hc, uint16_t port,
                        const rs_ddb_req_t *req, int timeout_ms, rs_ddb_resp_t *resp)
{
    if (!rs_ddb_fix_guard_failed(fx, resp->status, resp->body))
        return 0;
    if (!(fx->what & RS_DDB_FIX_CALLER_COND))
        return noop(fx, resp);
    if (fx->check_body == NULL)
        return 0;
    rs_ddb_req_t c = *req;
    c.target = "DynamoDB_20120810.TransactWriteItems";
    c.body = fx->check_body;
    c.body_len = fx->check_len;
    rs_ddb_resp_t cr;
    if (rs_ddb_http_do(hc, port, &c, timeout_ms, &cr) != 0)
        return 0; /* keep the ConditionalCheckFailedException */
    int passed = cr.status == 200;
    rs_ddb_resp_free(&cr);
    return passed ? noop(fx, resp) : 0;
}
