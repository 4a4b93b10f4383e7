/*
 * s3_delobjs.c: DeleteObjects (POST /{bucket}?delete): XML body, integrity headers
 * (Content-MD5 or a flexible checksum, whichever is present), Quiet mode, a result entry
 * for every key including keys that never existed. Runs in: workers.
 */
#include "config.h"

#include <string.h>

#include "rs/xml.h"
#include "s3/s3_int.h"

#define DELETE_MAX 1000

void rs_s3_delete_objects(rs_s3_call_t *c)
{
    rs_bucket_t b;
    rs_xml_delobj_t *objs = NULL;
    size_t n = 0, i;
    int quiet = 0;
    rs_xml_t *x;

    if (rs_s3_bucket_get(c, c->bucket, &b) != 0)
        return;
    if (rs_s3_body_check_plain(c) != 0)
        return;
    if (rs_xml_parse_delete(c->pool, c->req->body, c->req->body_len, DELETE_MAX, &objs, &n,
                            &quiet) != 0) {
        rs_s3_fail(c, RS_S3E_MalformedXML, NULL, NULL);
        return;
    }
    x = rs_xml_begin("DeleteResult", "http://s3.amazonaws.com/doc/2006-03-01/");
    for (i = 0; i < n; i++) {
        const rs_xml_delobj_t *o = &objs[i];
        int err = 0;
        if (o->version_id != NULL && strcmp(o->version_id, "null") != 0) {
            rs_xml_start(x, "Error");
            rs_xml_elemn(x, "Key", o->key, o->key_len);
            rs_xml_elem(x, "VersionId", o->version_id);
            rs_xml_elem(x, "Code", "NoSuchVersion");
            rs_xml_elem(x, "Message", "The specified version does not exist.");
            rs_xml_end(x);
            continue;
        }
        if (o->key_len <= RS_MAX_KEY &&
            (o->key_len == 0 || (uint8_t)o->key[0] != RS_RESERVED_KEY_BYTE))
            err = rs_obj_delete(c->ctx->store, &b, o->key, o->key_len, NULL);
        if (err != 0 && err != RS_ENOENT) {
            rs_xml_start(x, "Error");
            rs_xml_elemn(x, "Key", o->key, o->key_len);
            rs_xml_elem(x, "Code", "InternalError");
            rs_xml_elem(x, "Message", rs_s3_error_message(RS_S3E_InternalError));
            rs_xml_end(x);
            continue;
        }
        if (quiet)
            continue;
        rs_xml_start(x, "Deleted");
        rs_xml_elemn(x, "Key", o->key, o->key_len);
        if (o->version_id != NULL)
            rs_xml_elem(x, "VersionId", o->version_id);
        rs_xml_end(x);
    }
    c->resp->status = 200;
    rs_http_resp_header(c->resp, "Content-Type", "application/xml");
    rs_xml_finish(x, &c->resp->body);
}
