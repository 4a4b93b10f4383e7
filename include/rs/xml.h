/*
 * xml.h: XML writing (xml_write.c) and the few S3 request bodies we parse (libxml2).
 * Runs in: workers. Parsing is bounded: no network, no entities, depth and size limits;
 * anything that is not the expected document is RS_EINVAL (-> MalformedXML).
 */
#ifndef RS_XML_H
#define RS_XML_H

#include <stddef.h>
#include "rs/http.h"

typedef struct rs_xml rs_xml_t;

/* Start a document with <?xml version="1.0" encoding="UTF-8"?> and the root element;
 * `ns` NULL for none. */
rs_xml_t *rs_xml_begin(const char *root, const char *ns);
void rs_xml_start(rs_xml_t *x, const char *name);
void rs_xml_end(rs_xml_t *x);
/* text content inside the current element */
void rs_xml_text(rs_xml_t *x, const char *text);
void rs_xml_elem(rs_xml_t *x, const char *name, const char *text);
void rs_xml_elemn(rs_xml_t *x, const char *name, const char *text, size_t len);
void rs_xml_elemf(rs_xml_t *x, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* close everything, append the document to `out`, free the writer */
void rs_xml_finish(rs_xml_t *x, rs_buf_t *out);

/* <CreateBucketConfiguration><LocationConstraint>..</LocationConstraint></..>.
 * An empty body is valid (*location = NULL). Returns 0 or RS_EINVAL. */
int rs_xml_parse_create_bucket(rs_pool_t *pool, const uint8_t *body, size_t len, char **location);

/* One <Part> of <CompleteMultipartUpload>. */
typedef struct rs_xml_part {
    long number; /* PartNumber as written (range checked by the caller) */
    char *etag;  /* ETag text, quotes included when the client sent them */
    size_t etag_len;
    const char *cksum_name; /* "CRC32", ... from a Checksum<ALG> element; NULL when none */
    char *cksum;            /* its base64 text */
} rs_xml_part_t;

/* <CompleteMultipartUpload><Part><PartNumber/><ETag/><ChecksumCRC32/>..</Part>..</..>.
 * Zero parts is valid (*n = 0: the caller's InvalidRequest). More than `max` parts, a
 * Part without PartNumber or ETag, or any other element: RS_EINVAL. */
int rs_xml_parse_complete(rs_pool_t *pool, const uint8_t *body, size_t len, size_t max,
                          rs_xml_part_t **parts, size_t *n);

typedef struct rs_xml_delobj {
    char *key;
    size_t key_len;
    char *version_id; /* NULL when absent */
} rs_xml_delobj_t;

/* <Delete><Quiet/>?<Object><Key/><VersionId/>?</Object>*</Delete>. Returns 0 or RS_EINVAL.
 * More than `max` objects is RS_EINVAL too. */
int rs_xml_parse_delete(rs_pool_t *pool, const uint8_t *body, size_t len, size_t max,
                        rs_xml_delobj_t **objs, size_t *n, int *quiet);

typedef struct rs_xml_tag {
    char *key;
    size_t key_len;
    char *value;
    size_t value_len;
} rs_xml_tag_t;

/* <Tagging><TagSet><Tag><Key/><Value/></Tag>*</TagSet></Tagging>: both Key and Value
 * required in every Tag. Limits and characters are the caller's. 0 or RS_EINVAL. */
int rs_xml_parse_tagging(rs_pool_t *pool, const uint8_t *body, size_t len, rs_xml_tag_t **tags,
                         size_t *n);

typedef struct rs_xml_cors_rule {
    char *id; /* NULL when absent */
    char **origins, **methods, **headers, **expose;
    size_t norigins, nmethods, nheaders, nexpose;
    long max_age; /* -1 when absent */
} rs_xml_cors_rule_t;

/* <CORSConfiguration><CORSRule>..</CORSRule>{1,max}</CORSConfiguration>; each rule needs
 * an AllowedOrigin and an AllowedMethod. Method names are the caller's to check. */
int rs_xml_parse_cors(rs_pool_t *pool, const uint8_t *body, size_t len, size_t max,
                      rs_xml_cors_rule_t **rules, size_t *n);

#endif
