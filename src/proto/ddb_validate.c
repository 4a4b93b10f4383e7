/*
 * ddb_validate.c: the DynamoDB request validator (rs/ddb_validate.h): a streaming JSON
 * tokenizer walking the generated input-shape tree (ddb_model.c) in one pass, with no
 * allocation: the member path, the clauses and the message live in fixed buffers.
 * Type errors (SerializationException) stop the walk at once, as AWS's deserializer does;
 * constraint violations are collected in document order (a structure's missing required
 * members at its end) and rendered as AWS's ValidationException text. Rules AWS applies
 * beyond the model: a TableName that is not an ARN gets TableName's 3..255 and pattern
 * (the data-plane shape TableArn allows 1..1024); violations of the top-level TableName
 * are reported alone; CreateTable without TableName, and BatchGetItem / BatchWriteItem
 * without (or with an empty) RequestItems have their own sentences. Inside a map's value
 * the path keeps the wire names and a list's value is not printed (AWS's newer form:
 * "Value at 'RequestItems.<t>.member.Keys'"); a map value's own constraints (BatchWriteItem's
 * 1..25 requests per table) are left to DynamoDB Local and the supervisor's rewrite, which
 * renders Java's text of the whole map. Enforced pattern: only [a-zA-Z0-9_.-]+ (the other
 * model patterns are listed in ddb_model.c). Map keys are not checked against their shape.
 * Runs in: workers (pure).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rs/codec.h"
#include "rs/ddb_validate.h"

#define PATH_MAX_LEN 480
#define CLAUSE_CAP 4096
#define VALUE_MAX 300 /* bytes of a value printed in a clause */

typedef struct vstr {
    const uint8_t *raw; /* between the quotes */
    size_t raw_len;
    size_t u16_len; /* length in UTF-16 code units, as Java counts */
    int has_esc;
    int name_ok; /* every character in [a-zA-Z0-9_.-] */
} vstr_t;

typedef struct vctx {
    const uint8_t *p, *end;
    int depth;
    char path[PATH_MAX_LEN + 64];
    size_t plen;
    char clauses[CLAUSE_CAP];
    size_t clen;
    unsigned nerr;
    int serr; /* a type error: stop */
    const char *smsg;
    char sbuf[128]; /* smsg's copy */
    int nest;       /* too deep */
    int lock;       /* the top-level TableName's clauses are reported alone */
    int in_map;     /* inside a map's value: AWS's newer form (wire-case path, lists
                       without their value) */
    int map_value;  /* the next value is a map's value: its own constraints are left to
                       DynamoDB Local and the supervisor's rules ("Map value must satisfy
                       constraint: [...]" with Java's rendering of the map) */
    const char *op;
    size_t op_len;
    int batch_empty; /* BatchGetItem / BatchWriteItem with an empty RequestItems */
} vctx_t;

int rs_ddbm_input(const char *op, size_t op_len)
{
    size_t lo = 0, hi = rs_ddbm_num_ops;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *n = rs_ddbm_ops[mid].name;
        size_t nl = strlen(n);
        int c = memcmp(op, n, op_len < nl ? op_len : nl);
        if (c == 0)
            c = op_len < nl ? -1 : op_len > nl ? 1 : 0;
        if (c == 0)
            return rs_ddbm_ops[mid].input;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* ---- tokenizer ------------------------------------------------------------------- */

static void ws(vctx_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int fail(vctx_t *c, const char *msg)
{
    if (!c->serr) {
        c->serr = 1;
        c->smsg = NULL;
        if (msg != NULL) {
            snprintf(c->sbuf, sizeof(c->sbuf), "%s", msg);
            c->smsg = c->sbuf;
        }
    }
    return -1;
}

static int hex4(const uint8_t *p, const uint8_t *end, unsigned *out)
{
    if (end - p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = rs_hex_digit(p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return 0;
}

static int name_char(unsigned cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
           cp == '_' || cp == '.' || cp == '-';
}

/* Reads one code point of a string at *pp (after the opening quote, not at the closing
 * one): escapes decoded, UTF-8 checked. -1 on a malformed string. */
static int next_cp(const uint8_t **pp, const uint8_t *end, unsigned *cp, int *esc)
{
    const uint8_t *p = *pp;
    uint8_t b = *p;
    if (b < 0x20)
        return -1;
    if (b == '\\') {
        if (end - p < 2)
            return -1;
        *esc = 1;
        switch (p[1]) {
        case '"':
            *cp = '"';
            break;
        case '\\':
            *cp = '\\';
            break;
        case '/':
            *cp = '/';
            break;
        case 'b':
            *cp = '\b';
            break;
        case 'f':
            *cp = '\f';
            break;
        case 'n':
            *cp = '\n';
            break;
        case 'r':
            *cp = '\r';
            break;
        case 't':
            *cp = '\t';
            break;
        case 'u': {
            unsigned u;
            if (hex4(p + 2, end, &u) != 0)
                return -1;
            p += 6;
            if (u >= 0xD800 && u <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                unsigned lo;
                if (hex4(p + 2, end, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            *cp = u; /* a lone surrogate stays one code unit, as Java keeps it */
            *pp = p;
            return 0;
        }
        default:
            return -1;
        }
        *pp = p + 2;
        return 0;
    }
    if (b < 0x80) {
        *cp = b;
        *pp = p + 1;
        return 0;
    }
    int n;
    unsigned v, min;
    if ((b & 0xE0) == 0xC0) {
        n = 1, v = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        n = 2, v = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
        n = 3, v = b & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (end - p <= n)
        return -1;
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return -1;
        v = v << 6 | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return -1;
    *cp = v;
    *pp = p + n + 1;
    return 0;
}

/* A string token at c->p (the opening quote). */
static int scan_string(vctx_t *c, vstr_t *s)
{
    const uint8_t *p = c->p + 1;
    memset(s, 0, sizeof(*s));
    s->raw = p;
    s->name_ok = 1;
    for (;;) {
        if (p >= c->end)
            return fail(c, NULL);
        if (*p == '"')
            break;
        unsigned cp;
        if (next_cp(&p, c->end, &cp, &s->has_esc) != 0)
            return fail(c, NULL);
        s->u16_len += cp >= 0x10000 ? 2 : 1;
        if (!name_char(cp))
            s->name_ok = 0;
    }
    s->raw_len = (size_t)(p - s->raw);
    c->p = p + 1;
    return 0;
}

/* the decoded string into buf (at most cap-1 bytes, NUL-terminated); its full length */
static size_t decode(const vstr_t *s, char *buf, size_t cap)
{
    const uint8_t *p = s->raw, *end = s->raw + s->raw_len;
    size_t n = 0;
    while (p < end) {
        unsigned cp;
        int esc = 0;
        if (next_cp(&p, end, &cp, &esc) != 0)
            break;
        n = rs_utf8_put(cp, buf, cap, n);
    }
    if (cap > 0)
        buf[n < cap - 1 ? n : cap - 1] = '\0';
    return n;
}

static int str_eq(const vstr_t *s, const char *lit)
{
    size_t n = strlen(lit);
    if (!s->has_esc)
        return s->raw_len == n && memcmp(s->raw, lit, n) == 0;
    char buf[256];
    if (n >= sizeof(buf))
        return 0;
    return decode(s, buf, sizeof(buf)) == n && memcmp(buf, lit, n) == 0;
}

typedef struct vnum {
    const uint8_t *raw;
    size_t len;
    int integral;
    long long v; /* saturated, truncated toward zero */
} vnum_t;

static int scan_number(vctx_t *c, vnum_t *n)
{
    const uint8_t *p = c->p, *e = c->end;
    int neg = 0;
    long long v = 0;
    int sat = 0;
    n->raw = p;
    n->integral = 1;
    if (p < e && *p == '-')
        neg = 1, p++;
    if (p >= e || *p < '0' || *p > '9')
        return fail(c, NULL);
    if (*p == '0') {
        p++;
    } else {
        while (p < e && *p >= '0' && *p <= '9') {
            if (v > (0x7fffffffffffffffLL - 9) / 10)
                sat = 1;
            else
                v = v * 10 + (*p - '0');
            p++;
        }
    }
    if (p < e && *p == '.') {
        n->integral = 0;
        p++;
        if (p >= e || *p < '0' || *p > '9')
            return fail(c, NULL);
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        n->integral = 0;
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p >= e || *p < '0' || *p > '9')
            return fail(c, NULL);
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    if (sat)
        v = 0x7fffffffffffffffLL;
    n->v = neg ? -v : v;
    n->len = (size_t)(p - n->raw);
    c->p = p;
    return 0;
}

static int literal(vctx_t *c, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return fail(c, NULL);
    c->p += n;
    return 0;
}

static int skip_value(vctx_t *c);

static int enter(vctx_t *c)
{
    if (++c->depth > RS_DDBV_MAX_DEPTH) {
        c->nest = 1;
        return fail(c, NULL);
    }
    return 0;
}

/* any JSON value, checked and skipped (an unknown member) */
static int skip_value(vctx_t *c)
{
    vstr_t s;
    vnum_t n;
    ws(c);
    if (c->p >= c->end)
        return fail(c, NULL);
    switch (*c->p) {
    case '"':
        return scan_string(c, &s);
    case 't':
        return literal(c, "true");
    case 'f':
        return literal(c, "false");
    case 'n':
        return literal(c, "null");
    case '{':
    case '[': {
        uint8_t close = *c->p == '{' ? '}' : ']';
        if (enter(c) != 0)
            return -1;
        c->p++;
        ws(c);
        if (c->p < c->end && *c->p == close) {
            c->p++;
            c->depth--;
            return 0;
        }
        for (;;) {
            if (close == '}') {
                ws(c);
                if (c->p >= c->end || *c->p != '"' || scan_string(c, &s) != 0)
                    return fail(c, NULL);
                ws(c);
                if (c->p >= c->end || *c->p != ':')
                    return fail(c, NULL);
                c->p++;
            }
            if (skip_value(c) != 0)
                return -1;
            ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == close) {
                c->p++;
                c->depth--;
                return 0;
            }
            return fail(c, NULL);
        }
    }
    default:
        return scan_number(c, &n);
    }
}

/* ---- clauses --------------------------------------------------------------------- */

static void cat(vctx_t *c, const char *s, size_t n)
{
    if (c->clen + n >= CLAUSE_CAP)
        n = CLAUSE_CAP - 1 - c->clen;
    memcpy(c->clauses + c->clen, s, n);
    c->clen += n;
    c->clauses[c->clen] = '\0';
}

static void cats(vctx_t *c, const char *s)
{
    cat(c, s, strlen(s));
}

/* one clause: Value <value> at '<path>' failed to satisfy constraint: <what> */
static void clause(vctx_t *c, const char *value, size_t vlen, int quoted, const char *what)
{
    if (c->lock)
        return;
    c->nerr++;
    if (c->nerr > 1)
        cats(c, "; ");
    cats(c, "Value ");
    if (value != NULL) {
        if (quoted)
            cats(c, "'");
        cat(c, value, vlen);
        if (quoted)
            cats(c, "'");
        cats(c, " ");
    }
    cats(c, "at '");
    if (c->in_map) {
        cat(c, c->path, c->plen);
    } else {
        /* lower-camel member names: the first letter of every segment */
        for (size_t i = 0; i < c->plen; i++) {
            char ch = c->path[i];
            if ((i == 0 || c->path[i - 1] == '.') && ch >= 'A' && ch <= 'Z')
                ch = (char)(ch - 'A' + 'a');
            cat(c, &ch, 1);
        }
    }
    cats(c, "' failed to satisfy constraint: ");
    cats(c, what);
}

/* a segment in wire case (the clause lowers member names outside maps) */
static void path_push(vctx_t *c, const char *seg, size_t n)
{
    if (c->plen > 0 && c->plen < PATH_MAX_LEN)
        c->path[c->plen++] = '.';
    for (size_t i = 0; i < n && c->plen < PATH_MAX_LEN; i++)
        c->path[c->plen++] = seg[i];
}

static void len_clauses(vctx_t *c, const rs_ddbm_shape_t *sh, long long len, const char *v,
                        size_t vlen, int quoted)
{
    char what[96];
    if ((sh->flags & RS_DDBM_HAS_MIN) && len < sh->min) {
        snprintf(what, sizeof(what), "Member must have length greater than or equal to %lld",
                 sh->min);
        clause(c, v, vlen, quoted, what);
    }
    if ((sh->flags & RS_DDBM_HAS_MAX) && len > sh->max) {
        snprintf(what, sizeof(what), "Member must have length less than or equal to %lld", sh->max);
        clause(c, v, vlen, quoted, what);
    }
}

/* ---- the walk -------------------------------------------------------------------- */

static int walk(vctx_t *c, int shape, int member);

static const char *wrong_token(vctx_t *c, const char *target, char *buf, size_t cap)
{
    const char *tok = "STRING_VALUE";
    if (*c->p == 't')
        tok = "TRUE_VALUE";
    else if (*c->p == 'f')
        tok = "FALSE_VALUE";
    else if (*c->p != '"') {
        const uint8_t *at = c->p;
        vnum_t n;
        if (scan_number(c, &n) != 0)
            return NULL;
        c->p = at;
        tok = n.integral ? "NUMBER_VALUE" : "DECIMAL_VALUE";
    }
    snprintf(buf, cap, "%s cannot be converted to %s", tok, target);
    return buf;
}

static int check_literal_token(vctx_t *c)
{
    /* the token at c->p must be well-formed JSON before a type error is reported */
    const uint8_t *at = c->p;
    int depth = c->depth;
    if (skip_value(c) != 0)
        return -1;
    c->p = at;
    c->depth = depth;
    return 0;
}

/* a type error for the value at c->p, once it is known to be well-formed JSON */
static int type_error(vctx_t *c, const char *msg)
{
    if (check_literal_token(c) != 0)
        return -1;
    return fail(c, msg);
}

static int base64_ok(vctx_t *c, const vstr_t *s)
{
    char msg[96];
    /* non-escaped base64 only: an escaped character is not in the alphabet */
    if (s->has_esc)
        return fail(c, "Invalid last non-pad Base64 character dectected");
    if (s->raw_len % 4 != 0) {
        snprintf(msg, sizeof(msg),
                 "Base64 encoded length is expected a multiple of 4 bytes but "
                 "found: %zu",
                 s->raw_len);
        return fail(c, msg);
    }
    size_t pad = 0;
    for (size_t i = 0; i < s->raw_len; i++) {
        uint8_t b = s->raw[i];
        int ok = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
                 b == '+' || b == '/';
        if (b == '=' && i >= s->raw_len - 2) {
            pad++;
            continue;
        }
        if (!ok || pad > 0)
            return fail(c, "Invalid last non-pad Base64 character dectected");
    }
    return 0;
}

static int walk_string(vctx_t *c, const rs_ddbm_shape_t *sh, int quiet)
{
    vstr_t s;
    if (scan_string(c, &s) != 0)
        return -1;
    if (sh->type == RS_DDBM_BLOB)
        return base64_ok(c, &s);
    if (sh->type != RS_DDBM_STRING || quiet)
        return 0;
    int constrained = (sh->flags & (RS_DDBM_HAS_MIN | RS_DDBM_HAS_MAX | RS_DDBM_PAT_NAME |
                                    RS_DDBM_ENUM | RS_DDBM_TABLE_ARN)) != 0;
    if (!constrained)
        return 0;
    char v[VALUE_MAX + 1];
    size_t vlen = decode(&s, v, sizeof(v));
    if (vlen > VALUE_MAX)
        vlen = VALUE_MAX;
    unsigned before = c->nerr;
    len_clauses(c, sh, (long long)s.u16_len, v, vlen, 1);
    if ((sh->flags & RS_DDBM_PAT_NAME) && !s.name_ok)
        clause(c, v, vlen, 1, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    if ((sh->flags & RS_DDBM_TABLE_ARN) && c->nerr == before &&
        !(s.raw_len >= 4 && memcmp(s.raw, "arn:", 4) == 0)) {
        /* a table name where the model allows a name or an ARN: TableName's rules */
        static const rs_ddbm_shape_t name = {
            RS_DDBM_STRING, RS_DDBM_HAS_MIN | RS_DDBM_HAS_MAX, 0, 0, 0, 3, 255};
        len_clauses(c, &name, (long long)s.u16_len, v, vlen, 1);
        if (!s.name_ok)
            clause(c, v, vlen, 1,
                   "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    }
    if (sh->flags & RS_DDBM_ENUM) {
        for (unsigned i = 0; i < sh->n; i++)
            if (str_eq(&s, rs_ddbm_enums[sh->first + i]))
                return 0;
        char what[512];
        size_t w = (size_t)snprintf(what, sizeof(what), "Member must satisfy enum value set: [");
        for (unsigned i = 0; i < sh->n && w < sizeof(what); i++)
            w += (size_t)snprintf(what + w, sizeof(what) - w, "%s%s", i ? ", " : "",
                                  rs_ddbm_enums[sh->first + i]);
        if (w < sizeof(what))
            snprintf(what + w, sizeof(what) - w, "]");
        clause(c, v, vlen, 1, what);
    }
    return 0;
}

static int walk_number(vctx_t *c, const rs_ddbm_shape_t *sh, int quiet)
{
    vnum_t n;
    if (scan_number(c, &n) != 0)
        return -1;
    if ((sh->type != RS_DDBM_INTEGER && sh->type != RS_DDBM_LONG) || quiet)
        return 0;
    char what[96];
    size_t vlen = n.len > VALUE_MAX ? VALUE_MAX : n.len;
    if ((sh->flags & RS_DDBM_HAS_MIN) && n.v < sh->min) {
        snprintf(what, sizeof(what), "Member must have value greater than or equal to %lld",
                 sh->min);
        clause(c, (const char *)n.raw, vlen, 1, what);
    }
    if ((sh->flags & RS_DDBM_HAS_MAX) && n.v > sh->max) {
        snprintf(what, sizeof(what), "Member must have value less than or equal to %lld", sh->max);
        clause(c, (const char *)n.raw, vlen, 1, what);
    }
    return 0;
}

static int walk_struct(vctx_t *c, const rs_ddbm_shape_t *sh, int top)
{
    uint64_t seen = 0;
    c->p++;
    ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
    } else {
        for (;;) {
            vstr_t k;
            ws(c);
            if (c->p >= c->end || *c->p != '"' || scan_string(c, &k) != 0)
                return fail(c, NULL);
            ws(c);
            if (c->p >= c->end || *c->p != ':')
                return fail(c, NULL);
            c->p++;
            ws(c);
            int m = -1;
            for (unsigned i = 0; i < sh->n; i++)
                if (str_eq(&k, rs_ddbm_members[sh->first + i].name)) {
                    m = (int)i;
                    break;
                }
            if (m < 0 || (c->p < c->end && *c->p == 'n')) {
                if (skip_value(c) != 0) /* unknown member, or null: absent */
                    return -1;
            } else {
                const rs_ddbm_member_t *mem = &rs_ddbm_members[sh->first + (unsigned)m];
                size_t saved = c->plen;
                path_push(c, mem->name, strlen(mem->name));
                seen |= 1ull << m;
                size_t cl = c->clen;
                unsigned ne = c->nerr;
                if (walk(c, mem->shape, 1) != 0)
                    return -1;
                if (top && strcmp(mem->name, "TableName") == 0 && c->nerr > ne) {
                    /* the table name's violations are reported alone */
                    size_t off = cl + (ne > 0 ? 2 : 0);
                    memmove(c->clauses, c->clauses + off, c->clen - off + 1);
                    c->clen -= off;
                    c->nerr -= ne;
                    c->lock = 1;
                }
                c->plen = saved;
            }
            ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == '}') {
                c->p++;
                break;
            }
            return fail(c, NULL);
        }
    }
    for (unsigned i = 0; i < sh->n; i++) {
        const rs_ddbm_member_t *mem = &rs_ddbm_members[sh->first + i];
        if (!mem->required || (seen & (1ull << i)))
            continue;
        size_t saved = c->plen;
        path_push(c, mem->name, strlen(mem->name));
        clause(c, "null", 4, 0, "Member must not be null");
        c->plen = saved;
    }
    return 0;
}

/* a list's or map's value for a length clause: '[]' / '{}' when empty, else none (the
 * value-less form AWS's newer answers use) */
static int walk_list(vctx_t *c, const rs_ddbm_shape_t *sh, int map, int quiet)
{
    uint8_t close = map ? '}' : ']';
    long long count = 0;
    c->p++;
    ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
    } else {
        for (;;) {
            size_t saved = c->plen;
            char idx[24];
            ws(c);
            if (map) {
                vstr_t k;
                if (c->p >= c->end || *c->p != '"' || scan_string(c, &k) != 0)
                    return fail(c, NULL);
                ws(c);
                if (c->p >= c->end || *c->p != ':')
                    return fail(c, NULL);
                c->p++;
                char kb[128];
                size_t kl = decode(&k, kb, sizeof(kb));
                path_push(c, kb, kl < sizeof(kb) ? kl : sizeof(kb) - 1);
            } else {
                int n = snprintf(idx, sizeof(idx), "%lld", count + 1);
                path_push(c, idx, (size_t)n);
            }
            path_push(c, "member", 6);
            count++;
            ws(c);
            if (c->p < c->end && *c->p == 'n') {
                if (literal(c, "null") != 0)
                    return -1;
            } else {
                c->map_value = map;
                c->in_map += map;
                if (walk(c, sh->first, 0) != 0)
                    return -1;
                c->in_map -= map;
            }
            c->plen = saved;
            ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == close) {
                c->p++;
                break;
            }
            return fail(c, NULL);
        }
    }
    if (quiet)
        return 0;
    if (map && count == 0 && c->depth == 2 && c->plen == 12 &&
        memcmp(c->path, "RequestItems", 12) == 0) {
        c->batch_empty = 1; /* AWS's own text for an empty batch */
        return 0;
    }
    if (count == 0 && !c->in_map)
        len_clauses(c, sh, 0, map ? "{}" : "[]", 2, 1);
    else
        len_clauses(c, sh, count, NULL, 0, 0);
    return 0;
}

/* the value at c->p against shape; member: a structure member (else a list/map element) */
static int walk(vctx_t *c, int shape, int member)
{
    const rs_ddbm_shape_t *sh = &rs_ddbm_shapes[shape];
    char buf[96];
    int quiet = c->map_value;
    c->map_value = 0;
    ws(c);
    if (c->p >= c->end)
        return fail(c, NULL);
    uint8_t t = *c->p;
    if (t != '{' && t != '[' && t != '"' && t != 't' && t != 'f' && t != 'n' && t != '-' &&
        (t < '0' || t > '9'))
        return fail(c, NULL);
    if (enter(c) != 0)
        return -1;
    int rc = 0;
    switch (sh->type) {
    case RS_DDBM_STRUCT:
        if (t == '{')
            rc = walk_struct(c, sh, c->depth == 1);
        else if (check_literal_token(c) != 0)
            rc = -1;
        else
            rc = fail(c, t == '[' ? "UnknownError"
                         : member ? "Unexpected field type"
                                  : "Unexpected value type in payload");
        break;
    case RS_DDBM_LIST:
    case RS_DDBM_MAP: {
        int map = sh->type == RS_DDBM_MAP;
        if (t == (map ? '{' : '['))
            rc = walk_list(c, sh, map, quiet);
        else if (check_literal_token(c) != 0)
            rc = -1;
        else if (t == '{')
            rc = fail(c, "Start of structure or map found where not expected");
        else if (t == '[')
            rc = fail(c, "UnknownError");
        else
            rc = fail(c, member ? "Unexpected field type" : "UnknownError");
        break;
    }
    default:
        if (t == '{' || t == '[') {
            if (check_literal_token(c) != 0)
                rc = -1;
            else
                rc = fail(c, t == '{' ? "Start of structure or map found where not expected"
                                      : "UnknownError");
            break;
        }
        /* a scalar is scanned once; a wrong one is checked to be JSON before its type
         * error is reported (not JSON: no message) */
        switch (sh->type) {
        case RS_DDBM_STRING:
        case RS_DDBM_BLOB:
            if (t == '"')
                rc = walk_string(c, sh, quiet);
            else if (sh->type == RS_DDBM_BLOB)
                rc = type_error(c, "only base-64-encoded strings are convertible to bytes");
            else
                rc = type_error(c, wrong_token(c, "String", buf, sizeof(buf)));
            break;
        case RS_DDBM_BOOLEAN:
            if (t == 't' || t == 'f') {
                rc = skip_value(c);
            } else if (t == '"') {
                vstr_t s;
                rc = scan_string(c, &s);
                if (rc == 0 &&
                    !(s.raw_len == 4 && strncasecmp((const char *)s.raw, "true", 4) == 0) &&
                    !(s.raw_len == 5 && strncasecmp((const char *)s.raw, "false", 5) == 0))
                    rc = fail(c, "Unexpected token received from parser");
            } else {
                rc = type_error(c, wrong_token(c, "Boolean", buf, sizeof(buf)));
            }
            break;
        default: { /* numbers and timestamps */
            static const char *const names[] = {[RS_DDBM_INTEGER] = "Integer",
                                                [RS_DDBM_LONG] = "Long",
                                                [RS_DDBM_TIMESTAMP] = "Date",
                                                [RS_DDBM_DOUBLE] = "Double"};
            if (t == '-' || (t >= '0' && t <= '9'))
                rc = walk_number(c, sh, quiet);
            else
                rc = type_error(
                    c, wrong_token(c,
                                   sh->type < sizeof(names) / sizeof(names[0]) && names[sh->type]
                                       ? names[sh->type]
                                       : "Double",
                                   buf, sizeof(buf)));
            break;
        }
        }
    }
    if (rc >= 0)
        c->depth--;
    return rc;
}

/* a failure message that points into a buffer of the walk must be copied before return */
static void put(char *msg, size_t cap, const char *s)
{
    snprintf(msg, cap, "%s", s != NULL ? s : "");
}

int rs_ddb_validate(const char *op, size_t op_len, const uint8_t *body, size_t len,
                    rs_ddb_err_t *err, char *msg, size_t cap)
{
    int shape = rs_ddbm_input(op, op_len);
    if (shape < 0)
        return 0;
    static __thread vctx_t ctx; /* ~5 KB: kept off the worker's stack, reused */
    vctx_t *c = &ctx;
    c->p = body;
    c->end = body + len;
    c->depth = 0;
    c->plen = 0;
    c->clen = 0;
    c->clauses[0] = '\0';
    c->nerr = 0;
    c->serr = 0;
    c->smsg = NULL;
    c->nest = 0;
    c->lock = 0;
    c->in_map = 0;
    c->map_value = 0;
    c->batch_empty = 0;
    c->op = op;
    c->op_len = op_len;
    ws(c);
    if (c->p == c->end)
        return 0; /* no body: DynamoDB Local decides (the SDKs always send "{}") */
    int rc = walk(c, shape, 1);
    if (rc >= 0 && !c->serr) {
        ws(c);
        if (c->p != c->end)
            fail(c, NULL);
    }
    if (c->serr && c->nest) {
        *err = RS_DDBE_Validation;
        put(msg, cap, "Nesting Levels have exceeded supported limits");
        return 1;
    }
    if (c->serr) {
        char tmp[128];
        snprintf(tmp, sizeof(tmp), "%s", c->smsg != NULL ? c->smsg : "");
        *err = RS_DDBE_Serialization;
        put(msg, cap, tmp);
        return 1;
    }
    int batch = (op_len == 12 && memcmp(op, "BatchGetItem", 12) == 0) ||
                (op_len == 14 && memcmp(op, "BatchWriteItem", 14) == 0);
    if (batch && (c->batch_empty || strstr(c->clauses, "Value null at 'requestItems'"))) {
        /* RequestItems missing or empty: AWS's own sentence, alone */
        *err = RS_DDBE_Validation;
        snprintf(msg, cap, "The requestItems parameter is required for %.*s", (int)op_len, op);
        return 1;
    }
    if (c->nerr == 0)
        return 0;
    *err = RS_DDBE_Validation;
    if (op_len == 11 && memcmp(op, "CreateTable", 11) == 0 &&
        strstr(c->clauses, "Value null at 'tableName'") != NULL) {
        put(msg, cap, "The parameter 'TableName' is required but was not present in the request");
        return 1;
    }
    if (c->nerr == 1)
        snprintf(msg, cap, "1 validation error detected: %s", c->clauses);
    else
        snprintf(msg, cap, "%u validation errors detected: %s", c->nerr, c->clauses);
    return 1;
}
