/*
 * gw_invoke.h: private to src/lambda: the API Gateway data plane: a request to an invoke
 * URL (execute-api host or path, a custom domain, a function URL), as the worker forwarded
 * it (service "gateway"), resolved against the definitions (gw_store.h), the function
 * invoked with a payload 1.0 or 2.0 event, its result mapped to the HTTP response.
 * Runs in: the lambda supervisor (handler threads).
 */
#ifndef RS_LAMBDA_GW_INVOKE_H
#define RS_LAMBDA_GW_INVOKE_H

#include <stddef.h>

#include "lambda/lambda_api.h"
#include "rs/ipc.h"

/* Always fills out with the response for the API's client (the gateway's own errors
 * included); its header values are strings or arrays of strings (several Set-Cookie).
 * 0 or RS_ENOMEM. */
int rs_gw_invoke(rs_lambda_api_t *api, const rs_ipc_lambda_req_t *q, const void *body, size_t len,
                 rs_lambda_resp_t *out);

#endif
