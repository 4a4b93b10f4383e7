/*
 * gw_rest.c: placeholder until the control plane lands (answers UnknownOperationException).
 * Runs in: the lambda supervisor.
 */
#include "config.h"

#include "lambda/gw_api.h"

int rs_gw_rest_handle(const rs_gw_call_t *c, rs_lambda_resp_t *out)
{
    return rs_gw_reply_error(out, RS_GE_UNKNOWN_OP, "not implemented yet: %s %s", c->method,
                             c->path);
}
