/*
 * gw_invoke.c: placeholder for the data plane (gw_invoke.h).
 * Runs in: the lambda supervisor.
 */
#include "config.h"

#include "lambda/gw_invoke.h"
#include "rs/err.h"

int rs_gw_invoke(rs_lambda_api_t *api, const rs_ipc_lambda_req_t *q, const void *body, size_t len,
                 rs_lambda_resp_t *out)
{
    (void)api, (void)q, (void)body, (void)len;
    (void)out;
    return RS_ENOMEM;
}
