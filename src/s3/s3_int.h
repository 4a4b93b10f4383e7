/*
 * s3_int.h: private declarations shared by the S3 operation files (src/s3/s3_*.c).
 * Runs in: workers. One S3 request is described by an rs_s3_call_t built by the
 * dispatcher (s3_handler.c) and handed to one operation function from the table.
 */
#ifndef RS_S3_INT_H
#define RS_S3_INT_H

#include <stdint.h>
#include "rs/err.h"
#include "rs/http.h"
#include "rs/router.h"
#include "rs/s3.h"
#include "rs/s3_error.h"
#include "rs/sigv4.h"
#include "rs/store.h"

typedef struct rs_s3_call {
    rs_s3_ctx_t *ctx;
    rs_http_req_t *req;
    rs_http_resp_t *resp;
    rs_pool_t *pool;
    rs_auth_t auth;
    rs_qparam_t *qp; /* decoded query parameters */
    size_t nqp;
    char *bucket; /* decoded bucket name, NULL for service-level requests */
    char *key;    /* decoded key, NULL when none */
    size_t key_len;
    int is_head;
    int64_t now_ms;
} rs_s3_call_t;

/* ---- operations (one function each; the dispatcher's table names them) ---------- */
void rs_s3_list_buckets(rs_s3_call_t *c);
void rs_s3_create_bucket(rs_s3_call_t *c);
void rs_s3_delete_bucket(rs_s3_call_t *c);
void rs_s3_head_bucket(rs_s3_call_t *c);
void rs_s3_get_bucket_location(rs_s3_call_t *c);
void rs_s3_get_bucket_versioning(rs_s3_call_t *c);
void rs_s3_list_objects(rs_s3_call_t *c);    /* V1 */
void rs_s3_list_objects_v2(rs_s3_call_t *c); /* V2 */
void rs_s3_put_object(rs_s3_call_t *c);
void rs_s3_copy_object(rs_s3_call_t *c);
void rs_s3_get_object(rs_s3_call_t *c); /* GET and HEAD */
void rs_s3_delete_object(rs_s3_call_t *c);
void rs_s3_delete_objects(rs_s3_call_t *c);
void rs_s3_cors_preflight(rs_s3_call_t *c);
void rs_s3_cors_actual(rs_s3_call_t *c); /* adds CORS headers when Origin is present */
void rs_s3_put_bucket_cors(rs_s3_call_t *c);
void rs_s3_get_bucket_cors(rs_s3_call_t *c);
void rs_s3_delete_bucket_cors(rs_s3_call_t *c);
void rs_s3_put_bucket_tagging(rs_s3_call_t *c);
void rs_s3_get_bucket_tagging(rs_s3_call_t *c);
void rs_s3_delete_bucket_tagging(rs_s3_call_t *c);
void rs_s3_put_object_tagging(rs_s3_call_t *c);
void rs_s3_get_object_tagging(rs_s3_call_t *c);
void rs_s3_delete_object_tagging(rs_s3_call_t *c);
void rs_s3_post_object(rs_s3_call_t *c);               /* browser-based upload (s3_post.c) */
void rs_s3_create_multipart_upload(rs_s3_call_t *c);   /* s3_mpu.c */
void rs_s3_upload_part(rs_s3_call_t *c);               /* s3_mpu.c */
void rs_s3_abort_multipart_upload(rs_s3_call_t *c);    /* s3_mpu.c */
void rs_s3_upload_part_copy(rs_s3_call_t *c);          /* s3_copy.c */
void rs_s3_complete_multipart_upload(rs_s3_call_t *c); /* s3_mpu_complete.c */
void rs_s3_list_parts(rs_s3_call_t *c);                /* s3_mpu_list.c */
void rs_s3_list_multipart_uploads(rs_s3_call_t *c);    /* s3_mpu_list.c */

/* ---- bucket configurations under reserved keys (s3_config.c) --------------------- */
/* the stored document of configuration `name` ("cors", "tagging") copied into the pool
 * (NUL-terminated); RS_ENOENT when the bucket has none */
int rs_s3_cfg_get(rs_s3_call_t *c, const rs_bucket_t *b, const char *name, uint8_t **out,
                  size_t *len);
int rs_s3_cfg_put(rs_s3_call_t *c, const rs_bucket_t *b, const char *name, const void *data,
                  size_t len);
int rs_s3_cfg_delete(rs_s3_call_t *c, const rs_bucket_t *b, const char *name); /* RS_ENOENT ok */
/* The Get* and Delete* operations of a bucket configuration `name`: its stored document
 * as application/xml (`missing`: the error when there is none), or 204 after removing it. */
void rs_s3_cfg_answer(rs_s3_call_t *c, const char *name, rs_s3e_t missing);
void rs_s3_cfg_remove(rs_s3_call_t *c, const char *name);

/* the bucket's CORS rules (s3_cors_config.c); RS_ENOENT when it has no configuration */
struct rs_xml_cors_rule;
int rs_s3_cors_rules(rs_s3_call_t *c, const rs_bucket_t *b, struct rs_xml_cors_rule **r, size_t *n);

/* ---- tags (s3_tagging.c) ----------------------------------------------------------- */
/* Check an x-amz-tagging header (URL query form): renders InvalidArgument, InvalidTag or
 * BadRequest (more than 10) and returns -1; else the number of tags. */
int rs_s3_tagging_header_check(rs_s3_call_t *c, const char *v, size_t n);
/* A <Tagging> document (POST object's `tagging` field) in the stored x-amz-tagging form
 * (pool); renders MalformedXML / InvalidTag / BadRequest and returns -1. */
int rs_s3_tagging_from_xml(rs_s3_call_t *c, const char *xml, size_t n, char **out, size_t *len);
/* number of tags in a stored x-amz-tagging value */
int rs_s3_tagging_count(rs_s3_call_t *c, const char *v, size_t n);

/* ---- shared helpers ------------------------------------------------------------ */
/* error with extras given as name/value pairs, terminated by NULL */
void rs_s3_fail(rs_s3_call_t *c, rs_s3e_t e, const char *message, ...);
/* lookup c->bucket; renders NoSuchBucket (or AccessDenied for another account) on
 * failure and returns -1 */
int rs_s3_bucket_get(rs_s3_call_t *c, const char *name, rs_bucket_t *out);
const rs_qparam_t *rs_s3_q(const rs_s3_call_t *c, const char *name);
const char *rs_s3_hdr(const rs_s3_call_t *c, const char *lname, size_t *len); /* NUL-terminated */
/* map a store error to the AWS error (InsufficientStorage naming the setting, ...) */
void rs_s3_store_fail(rs_s3_call_t *c, int err);
/* 0 when a body of len bytes fits s3_max_object_size; else renders EntityTooLarge
 * (ProposedSize, MaxSizeAllowed) and returns -1 */
int rs_s3_size_check(rs_s3_call_t *c, uint64_t len);
/* s in lower case (ASCII; a pool copy), as AWS names algorithms in some messages */
const char *rs_s3_lower(rs_pool_t *pool, const char *s);
/* renders BadDigest for a client checksum (x-amz-checksum-*, algorithm alg_name, e.g.
 * "CRC32") that differs from the body's */
void rs_s3_checksum_mismatch(rs_s3_call_t *c, const char *alg_name);
/* canonical user id of an account (64 hex), pool string */
const char *rs_s3_owner_id(rs_s3_call_t *c, const char *account);
void rs_s3_etag_hex(const uint8_t md5[16], char out[33]);
/* An object's ETag, unquoted: "hex" or, completed from N parts, "hex-N" (pool string). */
const char *rs_s3_etag_str(rs_s3_call_t *c, const rs_obj_info_t *info);
/* the same between double quotes, as headers and XML carry it */
const char *rs_s3_etag_quoted(rs_s3_call_t *c, const rs_obj_info_t *info);
/* An object's stored checksum as the wire shows it: base64, "-N" appended when COMPOSITE. */
const char *rs_s3_checksum_str(rs_s3_call_t *c, const rs_obj_info_t *info);
const char *rs_s3_checksum_type_name(int type); /* "FULL_OBJECT" / "COMPOSITE" */
/* Parse an ETag as a client writes it ("hex", "\"hex-N\"", W/...) into md5 and parts;
 * -1 when it is no ETag we could have produced (md5 zeroed). */
int rs_s3_etag_parse(const char *v, size_t n, uint8_t md5[16], uint32_t *parts);

/* PutObject/CopyObject destination conditions (If-Match / If-None-Match); renders the
 * 501 errors and returns -1 for values AWS refuses. */
int rs_s3_put_conditions(rs_s3_call_t *c, rs_put_cond_t *cond);
/* map an rs_obj_put error for the destination key */
void rs_s3_put_fail(rs_s3_call_t *c, const rs_put_cond_t *cond, int err);
/* x-amz-storage-class of the request (0 when absent); renders InvalidStorageClass */
int rs_s3_storage_class_from_request(rs_s3_call_t *c, int *sc);

/* The view's segments cut to bytes [first, last] (a pool array of *n segments; the
 * store's rs_obj_view_slice, O(log parts + range)). */
struct iovec *rs_s3_slice(rs_s3_call_t *c, const rs_obj_view_t *v, uint64_t first, uint64_t last,
                          size_t *n);

/* ---- multipart uploads (s3_mpu.c) ------------------------------------------------ */
struct rs_mpu_ref;
struct rs_mpu_info;
/* The upload named by ?uploadId= for the call's bucket and key: bucket lookup (into *b),
 * id parse and its facts (rs_mpu_get; free with rs_mpu_info_free). Renders NoSuchBucket /
 * NoSuchUpload and returns -1. `info` may be NULL (no lookup). */
int rs_s3_mpu_open(rs_s3_call_t *c, rs_bucket_t *b, struct rs_mpu_ref *ref,
                   struct rs_mpu_info *info);
/* ?partNumber= of UploadPart(Copy): 1..10000 or InvalidArgument (renders, returns -1) */
int rs_s3_mpu_part_number(rs_s3_call_t *c, uint32_t *number);
/* map a store error of a multipart call (NoSuchUpload with UploadId, s3_max_uploads) */
void rs_s3_mpu_fail(rs_s3_call_t *c, int err);
/* store a part (UploadPart, UploadPartCopy); renders the error and returns -1 */
int rs_s3_mpu_put_part(rs_s3_call_t *c, const struct rs_mpu_ref *ref, uint32_t number,
                       const struct iovec *data, size_t iovcnt, const rs_obj_info_t *info);

/* ---- names and enumerations (s3_names.c) --------------------------------------- */
int rs_s3_bucket_name_valid(const char *name);
int rs_s3_region_valid(const char *region);
/* storage class name -> index (0 = STANDARD), -1 if unknown or not for general-purpose buckets */
int rs_s3_storage_class_parse(const char *s);
const char *rs_s3_storage_class_name(int idx);
int rs_s3_storage_class_archived(int idx); /* GLACIER / DEEP_ARCHIVE */

/* ---- stored object metadata (s3_meta.c) ------------------------------------------- */
/* The opaque blob kept with every object: system headers and user metadata. */
enum {
    RS_META_CONTENT_TYPE = 1,
    RS_META_CONTENT_ENCODING,
    RS_META_CONTENT_DISPOSITION,
    RS_META_CONTENT_LANGUAGE,
    RS_META_CACHE_CONTROL,
    RS_META_EXPIRES,
    RS_META_WEBSITE_REDIRECT,
    RS_META_TAGGING,
    RS_META_USER, /* "name\0value" (name without x-amz-meta-, lower-case) */
};

typedef struct rs_s3_meta_field {
    int tag;
    const char *name; /* RS_META_USER only */
    const char *value;
    size_t value_len;
} rs_s3_meta_field_t;

typedef struct rs_s3_meta {
    rs_s3_meta_field_t f[128];
    size_t n;
} rs_s3_meta_t;

void rs_s3_meta_add(rs_s3_meta_t *m, int tag, const char *name, const char *value, size_t len);
/* encode into the pool; returns 0 or -1 when larger than RS_MAX_META */
int rs_s3_meta_encode(rs_pool_t *pool, const rs_s3_meta_t *m, uint8_t **out, size_t *len);
int rs_s3_meta_decode(rs_pool_t *pool, const uint8_t *blob, size_t len, rs_s3_meta_t *m);
const rs_s3_meta_field_t *rs_s3_meta_find(const rs_s3_meta_t *m, int tag);
/* Build metadata from request headers (PutObject, CopyObject REPLACE). Renders the error
 * and returns -1 on MetadataTooLarge / bad tagging. */
int rs_s3_meta_from_request(rs_s3_call_t *c, rs_s3_meta_t *m);
/* Start a put of the call's key into `b` carrying `m` (encoded into the pool). Renders
 * MetadataTooLarge and returns -1 when the metadata does not fit. */
int rs_s3_put_init(rs_s3_call_t *c, const rs_bucket_t *b, const rs_s3_meta_t *m, rs_obj_put_t *put);
/* Add the stored headers of an object to the response. */
void rs_s3_meta_to_response(rs_s3_call_t *c, const rs_s3_meta_t *m);

/* ---- request body decoding and integrity checks (s3_body.c) --------------------- */
typedef struct rs_s3_body {
    struct iovec *iov; /* the decoded bytes */
    size_t iovcnt;
    size_t len;
    uint8_t md5[16];
    int checksum_alg; /* RS_CKSUM_*: the client's, or CRC64NVME computed by us */
    uint8_t checksum[32];
    size_t checksum_len;
    int client_checksum; /* the client sent one (echo it on the response) */
    int was_chunked;     /* aws-chunked: strip it from Content-Encoding */
} rs_s3_body_t;

/* Decode (aws-chunked), verify Content-MD5 and the flexible checksum, compute MD5 and
 * the stored checksum. Renders the AWS error and returns -1 on failure. */
int rs_s3_body_read(rs_s3_call_t *c, rs_s3_body_t *b);
/* x-amz-content-sha256 announces an aws-chunked (STREAMING-*) body */
int rs_s3_body_is_streaming(rs_s3_call_t *c);
/* Only integrity headers (DeleteObjects): Content-MD5 / x-amz-checksum-* over the raw
 * body. Renders and returns -1 on failure. */
int rs_s3_body_check_plain(rs_s3_call_t *c);

#endif
