/*
 * lambda_api_code.c: function code in and out of the Lambda control plane: ZipFile
 * (base64) decoded, size-checked, extracted into a fresh code directory and kept next to
 * it as <dir>.zip; and that zip served back at GetFunction's Code.Location. Also a
 * hot-reload directory (S3Bucket "hot-reload") checked and digested (lambda_hot.c).
 * Runs in: the lambda supervisor (request threads).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/lambda_api.h"
#include "lambda/lambda_code.h"
#include "lambda/lambda_hot.h"
#include "rs/err.h"
#include "rs/log.h"
#include "rs/os.h"

/* the upload itself, next to its directory (<dir>.zip): Code.Location serves it */
static int keep_zip(const char *dir, const uint8_t *zip, size_t len)
{
    char path[1300];
    snprintf(path, sizeof(path), "%s.zip", dir);
    FILE *f = fopen(path, "wbe");
    if (!f)
        return RS_ERR;
    size_t w = fwrite(zip, 1, len, f);
    int rc = fclose(f);
    return w == len && rc == 0 ? 0 : RS_ERR;
}

/* ZipFile (base64) -> a fresh extracted code directory; 0 or 1 (replied) */
int rs_lambda_take_zip(rs_lambda_req_t *rq, json_object *zipfile, rs_lambda_upload_t *up,
                       rs_lambda_resp_t *out)
{
    rs_lambda_api_t *api = rq->api;
    if (!json_object_is_type(zipfile, json_type_string))
        return rs_lambda_fail(
            out, RS_LE_INVALID_REQUEST_CONTENT,
            "Could not parse request body into json: ZipFile must be a base64 string");
    const char *b64 = json_object_get_string(zipfile);
    size_t blen = (size_t)json_object_get_string_len(zipfile);
    if (blen / 4 * 3 > api->zip_max + 3)
        return RS_LAMBDA_FAILF(out, RS_LE_ENTITY_TOO_LARGE,
                               "Zipped size must be smaller than %llu bytes",
                               (unsigned long long)api->zip_max);
    uint8_t *zip = NULL;
    size_t zlen = 0;
    int rc = rs_lambda_b64_decode(b64, blen, &zip, &zlen);
    if (rc == RS_ENOMEM)
        return rs_lambda_fail(out, RS_LE_SERVICE, "out of memory");
    if (rc != 0)
        return rs_lambda_fail(out, RS_LE_INVALID_PARAMETER, RS_LAMBDA_MSG_BADZIP);
    if (zlen > api->zip_max) {
        free(zip);
        return RS_LAMBDA_FAILF(out, RS_LE_ENTITY_TOO_LARGE,
                               "Zipped size must be smaller than %llu bytes",
                               (unsigned long long)api->zip_max);
    }
    rs_lambda_reg_new_code_dir(api->reg, up->dir, sizeof(up->dir));
    rs_lambda_sha256_b64(zip, zlen, up->sha);
    up->size = zlen;
    rc = rs_lambda_code_extract(zip, zlen, up->dir, api->unzipped_max, NULL);
    if (rc == 0)
        rc = keep_zip(up->dir, zip, zlen);
    /* s3_durability = always: the code is on disk before the registry can name it */
    if (rc == 0 && api->conf && rs_conf_durability(api->conf->s3_durability) == 2 &&
        rs_fsync_tree(up->dir) < 0)
        rc = RS_ERR;
    int e = errno;
    free(zip);
    if (rc == RS_ERR)
        rs_lambda_code_discard(up->dir);
    if (rc == RS_EINVAL)
        return rs_lambda_fail(out, RS_LE_INVALID_PARAMETER, RS_LAMBDA_MSG_BADZIP);
    if (rc == RS_ETOOBIG)
        return RS_LAMBDA_FAILF(out, RS_LE_INVALID_PARAMETER,
                               "Unzipped size must be smaller than %llu bytes",
                               (unsigned long long)api->unzipped_max);
    if (rc != 0) {
        rs_log(RS_LOG_ERR, rq->request_id, "lambda: cannot store code in %s: %s", up->dir,
               strerror(e));
        return RS_LAMBDA_FAILF(out, RS_LE_SERVICE,
                               "RustStack could not store the function code: %s", strerror(e));
    }
    return 0;
}

/* GET /_ruststack/lambda/code/<account>/<region>/<name>.zip: the current code of a
 * function (GetFunction's Code.Location) */
int rs_lambda_op_code_download(rs_lambda_req_t *rq, const char *rest, rs_lambda_resp_t *out)
{
    char acct[16], region[40], name[65];
    const char *a = rest, *b = strchr(a, '/'), *c = b ? strchr(b + 1, '/') : NULL;
    size_t nl = c ? strlen(c + 1) : 0;
    if (!b || !c || (size_t)(b - a) >= sizeof(acct) || (size_t)(c - b - 1) >= sizeof(region) ||
        nl <= 4 || nl - 4 >= sizeof(name) || strcmp(c + 1 + nl - 4, ".zip") != 0)
        return RS_LAMBDA_ERR0(out, RS_LE_RESOURCE_NOT_FOUND, "No such function code.");
    snprintf(acct, sizeof(acct), "%.*s", (int)(b - a), a);
    snprintf(region, sizeof(region), "%.*s", (int)(c - b - 1), b + 1);
    snprintf(name, sizeof(name), "%.*s", (int)(nl - 4), c + 1);
    rq->account = acct;
    rq->region = region;
    snprintf(rq->name, sizeof(rq->name), "%s", name);
    rs_lambda_fn_t *fn = NULL;
    if (rs_lambda_reg_get(rq->api->reg, acct, region, name, NULL, &fn) != 0)
        return rs_lambda_reply_not_found(out, rq, NULL);
    char path[1100];
    snprintf(path, sizeof(path), "%s.zip", fn->code_dir);
    rs_lambda_fn_unref(fn);
    FILE *f = fopen(path, "rbe");
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (!f || size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        if (f)
            fclose(f);
        return RS_LAMBDA_ERR0(out, RS_LE_RESOURCE_NOT_FOUND, "No such function code.");
    }
    if ((uint64_t)size > RS_IPC_MAX_BODY_LAMBDA) {
        fclose(f);
        return RS_LAMBDA_ERR0(out, RS_LE_SERVICE,
                              "The code is larger than RustStack can return through GetFunction's "
                              "Code.Location (32 MiB)");
    }
    out->body = malloc((size_t)size + 1);
    if (!out->body || fread(out->body, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        return RS_LAMBDA_ERR0(out, RS_LE_SERVICE, "could not read the function code");
    }
    fclose(f);
    out->body_len = (size_t)size;
    out->status = 200;
    json_object_object_add(out->headers, "Content-Type", json_object_new_string("application/zip"));
    return 0;
}

/* Code={"S3Bucket": "hot-reload", "S3Key": "/abs/dir"}: the directory used in place */
static int take_hot(rs_lambda_req_t *rq, json_object *code, rs_lambda_upload_t *up,
                    rs_lambda_resp_t *out)
{
    const rs_conf_t *c = rq->api->conf;
    const char *key = rs_lambda_hot_key(code);
    char why[600];
    if (rs_lambda_hot_resolve(c ? c->lambda_hot_reload_roots : "", key ? key : "", up->dir,
                              sizeof(up->dir), why, sizeof(why)) != 0)
        return rs_lambda_fail(out, RS_LE_INVALID_PARAMETER, why);
    int rc = rs_lambda_hot_digest(up->dir, up->sha, &up->size);
    if (rc != 0) {
        int e = errno;
        up->dir[0] = '\0';
        return RS_LAMBDA_FAILF(out, RS_LE_INVALID_PARAMETER,
                               "Hot reload directory '%.200s' cannot be read: %s", key,
                               rc == RS_ENOMEM ? "out of memory" : strerror(e));
    }
    up->hot = 1;
    rs_log(RS_LOG_INFO, rq->request_id, "lambda: %s uses hot-reload directory %s", rq->name,
           up->dir);
    return 0;
}

int rs_lambda_take_code(rs_lambda_req_t *rq, json_object *code, json_object *zip,
                        rs_lambda_upload_t *up, rs_lambda_resp_t *out)
{
    if (zip != NULL)
        return rs_lambda_take_zip(rq, zip, up, out);
    return take_hot(rq, code, up, out);
}

void rs_lambda_upload_discard(rs_lambda_upload_t *up)
{
    if (up->dir[0] && !up->hot)
        rs_lambda_code_discard(up->dir);
    up->dir[0] = '\0';
}
