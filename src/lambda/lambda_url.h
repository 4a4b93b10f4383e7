/*
 * lambda_url.h: private to src/lambda: the function URL config operations of the Lambda
 * API (lambda_url.c; records in the gateway store's "urls" collection, gw_store.h).
 * Runs in: the lambda supervisor (request threads).
 */
#ifndef RS_LAMBDA_URL_H
#define RS_LAMBDA_URL_H

#include "lambda/lambda_api.h"

/* CreateFunctionUrlConfig, GetFunctionUrlConfig, UpdateFunctionUrlConfig,
 * DeleteFunctionUrlConfig, ListFunctionUrlConfigs: always fill out; 0 or RS_ENOMEM. */
int rs_lambda_op_url_create(rs_lambda_req_t *rq, rs_lambda_resp_t *out);
int rs_lambda_op_url_get(rs_lambda_req_t *rq, rs_lambda_resp_t *out);
int rs_lambda_op_url_update(rs_lambda_req_t *rq, rs_lambda_resp_t *out);
int rs_lambda_op_url_delete(rs_lambda_req_t *rq, rs_lambda_resp_t *out);
int rs_lambda_op_url_list(rs_lambda_req_t *rq, rs_lambda_resp_t *out);

/* Forget every URL config of a function (DeleteFunction). 0, or an rs_err_t. */
int rs_lambda_url_delete_all(rs_lambda_api_t *api, const char *account, const char *region,
                             const char *name);

#endif
