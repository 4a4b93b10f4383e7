/*
 * lambda_reset.h: private to src/lambda: the account-scoped reset of Lambda and API
 * Gateway state (lambda_reset.c). Runs in: the lambda supervisor.
 */
#ifndef RS_LAMBDA_RESET_H
#define RS_LAMBDA_RESET_H

#include "lambda/lambda_api.h"

/* (asked for with service RS_IPC_LAMBDA_RESET_SERVICE, rs/ipc.h) Drop every function (and warm
 * environment), function URL config, REST API, HTTP API and custom domain name of `account`. Fills
 * `out` (200 with what went, or an error answer); returns 0 or RS_ENOMEM. `out->headers` must
 * already be an object. */
int rs_lambda_reset_account(rs_lambda_api_t *api, const char *account, const char *request_id,
                            rs_lambda_resp_t *out);

#endif
