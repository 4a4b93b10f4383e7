/*
 * lambda_reset.c: the lambda supervisor's part of the account-scoped reset (POST
 * /_ruststack/reset?account=...): every function of the account in every region (one
 * persisted registry change), their warm environments (retired: idle ones stop now, busy
 * ones when their invocation ends) and, in one persisted change of the gateway store,
 * every REST API, HTTP API, custom domain name and function URL config the account owns.
 * Answers 200 with JSON saying what went:
 *   {"functions": [{"region": "...", "name": "..."}], "function_urls": N, "rest_apis": N,
 *    "http_apis": N, "domain_names": N}
 * Runs in: the lambda supervisor (an IPC handler thread).
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "lambda/gw_store.h"
#include "lambda/lambda_api.h"
#include "lambda/lambda_reset.h"
#include "rs/err.h"
#include "rs/log.h"

typedef struct purge {
    const char *account;
    int counts[4];
} purge_t;

static const char *const colls[4] = {"urls", "rest", "http", "domains"};

/* the gateway store's entries of the account, from every collection */
static int purge_cb(json_object *doc, void *arg, int *changed)
{
    purge_t *p = arg;
    for (int c = 0; c < 4; c++) {
        json_object *coll = rs_gw_doc_coll(doc, colls[c]);
        for (int again = 1; again;) {
            again = 0;
            json_object_object_foreach(coll, k, e)
            {
                json_object *a;
                if (json_object_object_get_ex(e, "account", &a) &&
                    strcmp(json_object_get_string(a), p->account) == 0) {
                    json_object_object_del(coll, k);
                    p->counts[c]++;
                    *changed = again = 1;
                    break;
                }
            }
        }
    }
    return 0;
}

int rs_lambda_reset_account(rs_lambda_api_t *api, const char *account, const char *request_id,
                            rs_lambda_resp_t *out)
{
    json_object *fns = json_object_new_array();
    if (fns == NULL)
        return RS_ENOMEM;
    int rc = rs_lambda_reg_delete_account(api->reg, account, fns);
    if (rc == RS_ENOMEM) {
        json_object_put(fns);
        return rc;
    }
    if (rc != 0) {
        json_object_put(fns);
        return RS_LAMBDA_ERR0(out, RS_LE_SERVICE, "RustStack could not record the deletion: %s",
                              strerror(errno));
    }
    size_t n = json_object_array_length(fns);
    for (size_t i = 0; api->pool != NULL && i < n; i++) {
        json_object *f = json_object_array_get_idx(fns, i);
        rs_lambda_pool_retire(api->pool, account,
                              json_object_get_string(json_object_object_get(f, "region")),
                              json_object_get_string(json_object_object_get(f, "name")));
    }
    purge_t p = {account, {0, 0, 0, 0}};
    if (api->gw != NULL && (rc = rs_gw_store_edit(api->gw, purge_cb, &p)) != 0) {
        json_object_put(fns);
        if (rc == RS_ENOMEM)
            return rc;
        return RS_LAMBDA_ERR0(out, RS_LE_SERVICE,
                              "RustStack could not record the deletion of the gateway "
                              "definitions: %s",
                              rs_err_str(rc));
    }
    json_object *r = json_object_new_object();
    if (r == NULL) {
        json_object_put(fns);
        return RS_ENOMEM;
    }
    json_object_object_add(r, "functions", fns);
    json_object_object_add(r, "function_urls", json_object_new_int(p.counts[0]));
    json_object_object_add(r, "rest_apis", json_object_new_int(p.counts[1]));
    json_object_object_add(r, "http_apis", json_object_new_int(p.counts[2]));
    json_object_object_add(r, "domain_names", json_object_new_int(p.counts[3]));
    rs_log(RS_LOG_INFO, request_id,
           "lambda: account %s reset: %zu function(s), %d URL config(s), %d REST API(s), %d "
           "HTTP API(s), %d domain name(s)",
           account, n, p.counts[0], p.counts[1], p.counts[2], p.counts[3]);
    return rs_lambda_reply_json(out, 200, r);
}
