/*
 * adapter.h: private to src/http: registers the one h2o handler that turns h2o_req_t
 * into rs_http_req_t, routes, dispatches and sends the rs_http_resp_t back.
 * Runs in: workers. Includes h2o.h (only src/http does).
 */
#ifndef RS_HTTP_ADAPTER_H
#define RS_HTTP_ADAPTER_H

#include <h2o.h>

#include "http/http_int.h"

void rs_adapter_register(h2o_pathconf_t *pathconf, rs_http_ctx_t *http);

#endif
