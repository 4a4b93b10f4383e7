/*
 * gw_store.h: private to src/lambda: the API Gateway and function URL definitions (one
 * JSON document, one lock, persisted next to the function registry), shared by the control
 * planes (gw_rest*.c: apigateway; gw_v2*.c: apigatewayv2; lambda_url.c: function URL
 * configs) and the data plane (gw_invoke.c: a request to an invoke URL).
 * Runs in: the lambda supervisor (its handler threads).
 *
 * The document (every id is globally unique, so the data plane finds an API by id alone;
 * "account" and "region" say whose it is: an operation whose caller is another account or
 * region answers NotFoundException, as AWS does):
 * {
 *   "rest": {"<restApiId>": {
 *       "account": "...", "region": "...",
 *       "api": <RestApi output shape>,                       (botocore apigateway model)
 *       "resources": {"<resourceId>": <Resource output shape, with resourceMethods:
 *                       {"GET"|"ANY"|...: <Method shape with methodIntegration:
 *                         <Integration shape: type, httpMethod, uri, timeoutInMillis...>>}>},
 *       "deployments": {"<deploymentId>": {"deployment": <Deployment shape>,
 *                                          "resources": <copy of "resources" when made>}},
 *       "stages": {"<stageName>": <Stage shape: deploymentId, variables, ...>}}},
 *   "http": {"<apiId>": {
 *       "account": "...", "region": "...",
 *       "api": <Api output shape (apigatewayv2 model)>,
 *       "routes": {"<routeId>": <Route: routeKey "$default" | "GET /items/{id}" |
 *                                "ANY /{proxy+}", target "integrations/<integrationId>">},
 *       "integrations": {"<integrationId>": <Integration: integrationType AWS_PROXY,
 *                        integrationUri (function ARN, or the apigateway invocation URI),
 *                        payloadFormatVersion "1.0"|"2.0", timeoutInMillis>},
 *       "deployments": {"<deploymentId>": {"deployment": <Deployment>, "routes": <copy>,
 *                                          "integrations": <copy>}},
 *       "stages": {"<stageName>": <Stage: stageName ("$default" too), autoDeploy,
 *                                  deploymentId, stageVariables>}}},
 *   "domains": {"<domain name, lower-case>": {
 *       "account": "...", "region": "...",
 *       "domain": <the apigateway DomainName output shape (domainName, certificateArn,
 *                  regionalDomainName, endpointConfiguration, ...)>,
 *       "v2": <the apigatewayv2 DomainName output shape>,
 *       "mappings": {"<apiMappingId>": {"apiMappingId": "...", "apiId": "...",
 *                    "stage": "...", "apiMappingKey": "" (the root) | "v1" | "a/b"}}}},
 *                   (v1 base path mappings and v2 API mappings are these same records:
 *                    basePath "(none)" <-> apiMappingKey "")
 *   "urls": {"<urlId>": {"account": "...", "region": "...", "function": "<name>",
 *                        "qualifier": "" | "<alias>",
 *                        "config": <FunctionUrlConfig output shape (lambda model)>}}
 * }
 * A REST stage serves the "resources" of its deployment; an HTTP API stage with autoDeploy
 * serves the API's current routes and integrations, else those of its deployment.
 */
#ifndef RS_LAMBDA_GW_STORE_H
#define RS_LAMBDA_GW_STORE_H

#include <json-c/json.h>
#include <stddef.h>

typedef struct rs_gw_store rs_gw_store_t;

/* Open the store at <root>/gateway.json (loaded when present and not `wipe`; a corrupt
 * file is kept as gateway.json.corrupt and the store starts empty). `hosts_path`: where
 * the custom domain names are published for the workers (one lower-case name per line,
 * rewritten atomically after every change; NULL: not published). 0, RS_ERR, RS_ENOMEM. */
int rs_gw_store_open(const char *root, const char *hosts_path, int wipe, rs_gw_store_t **out);
void rs_gw_store_close(rs_gw_store_t *s);

/* Run fn with the document under the store's lock. fn returns 0 and sets *changed to
 * commit a change: the document is then written to disk (temp file, fsync, rename) before
 * rs_gw_store_edit returns; when it cannot be, the change is undone and RS_ERR returned.
 * Any other return of fn is returned as is and the document is restored to what it was
 * before fn ran (fn may leave it half-edited). */
typedef int (*rs_gw_edit_fn)(json_object *doc, void *arg, int *changed);
int rs_gw_store_edit(rs_gw_store_t *s, rs_gw_edit_fn fn, void *arg);

/* Run fn with the document under the lock, read-only (must not change it; *changed is
 * ignored). Returns what fn returns. */
int rs_gw_store_read(rs_gw_store_t *s, rs_gw_edit_fn fn, void *arg);

/* The collection `name` ("rest", "http", "domains", "urls") of the document, created
 * empty when missing (never NULL for a valid name). */
json_object *rs_gw_doc_coll(json_object *doc, const char *name);

/* A fresh id of n lower-case letters and digits (out has n + 1 bytes), like AWS's
 * ("a1b2c3d4e5" for APIs, 6 for resources/deployments, 7 for routes/integrations,
 * 32 for function URL ids). */
void rs_gw_new_id(char *out, size_t n);

/* The entry of collection `coll` with this id when it belongs to (account, region), else
 * NULL (absent, or another caller's: both are NotFoundException to the caller). */
json_object *rs_gw_doc_owned(json_object *doc, const char *coll, const char *id,
                             const char *account, const char *region);

#endif
