/*
 * router.h: which service a request is for, table-driven (DESIGN.md "Request routing").
 * Runs in: workers (pure function over rs_http_req_t; unit-tested without sockets).
 * Order: /_ruststack/ internal; an execute-api Host (the API Gateway invoke URL);
 * X-Amz-Target DynamoDB_20120810.*; Lambda REST paths or credential-scope service
 * "lambda"; the API-Gateway proxy paths; everything else S3, path-style or
 * virtual-hosted.
 */
#ifndef RS_ROUTER_H
#define RS_ROUTER_H

#include <stddef.h>
#include "rs/http.h"

typedef enum {
    RS_ROUTE_INTERNAL = 0,
    RS_ROUTE_DYNAMODB,
    RS_ROUTE_LAMBDA,
    RS_ROUTE_APIGW,      /* an invoke URL (the gateway's data plane) */
    RS_ROUTE_APIGATEWAY, /* the apigateway / apigatewayv2 control planes */
    RS_ROUTE_S3
} rs_route_kind_t;

/* how an API Gateway request named its API (RS_ROUTE_APIGW) */
typedef enum {
    RS_APIGW_RESTAPIS = 0, /* /restapis/<id>/<stage>/_user_request_[/<path>] (LocalStack's) */
    RS_APIGW_PATH,         /* /_aws/execute-api/<id>/<stage>[/<path>] */
    RS_APIGW_HOST,         /* Host <id>.execute-api[.<region>].<base>, path /<stage>[/<path>] */
    RS_APIGW_URL,          /* a function URL: Host <url-id>.lambda-url.<region>.<base>, or
                              /_aws/lambda-url/<url-id>[/<path>]; api_id: the url id */
    RS_APIGW_DOMAIN        /* Host: a custom domain name (api_id: the Host without port) */
} rs_apigw_form_t;

typedef struct rs_route {
    rs_route_kind_t kind;
    /* S3: bucket (raw, not decoded; NULL for service-level requests like ListBuckets)
     * and key (raw percent-encoded path remainder, NULL when none) */
    const char *bucket;
    size_t bucket_len;
    const char *key;
    size_t key_len;
    int virtual_host;
    /* internal / lambda / apigw: the path after the service prefix (apigw: after
     * "/restapis/" or "/_aws/execute-api/"; the whole path for the host form) */
    const char *rest;
    size_t rest_len;
    /* apigw: the form, and for RS_APIGW_HOST the API id and the region the Host names
     * (region NULL when it names none); both point into req->host */
    rs_apigw_form_t apigw_form;
    const char *api_id;
    size_t api_id_len;
    const char *api_region;
    size_t api_region_len;
} rs_route_t;

typedef struct rs_router_conf {
    /* extra host names (besides localhost, 127.0.0.1, ::1, s3.amazonaws.com forms, the
     * configured hostname) that are never buckets; virtual-hosted buckets are
     * "<bucket>.<one of these>" and "<bucket>.s3.<...>" */
    const char *hostname; /* the `hostname` setting, may be NULL */
    /* 1 when this Host (n bytes, no port; contains a dot) is an API Gateway custom domain
     * name (NULL: none are); asked only for hosts that are no execute-api or lambda-url
     * host */
    int (*is_domain)(void *arg, const char *host, size_t n);
    void *domain_arg;
} rs_router_conf_t;
/* API Gateway invoke hosts: "<id>.execute-api.<base>" and "<id>.execute-api.<region>.<base>"
 * with <base> localhost, localhost.localstack.cloud or the configured hostname, and AWS's
 * own "<id>.execute-api.<region>.amazonaws.com"; every request to such a host is the
 * API's (after /_ruststack/). */

void rs_route(const rs_http_req_t *req, const rs_router_conf_t *conf, rs_route_t *out);

#endif
