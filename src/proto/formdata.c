/*
 * formdata.c: the streaming multipart/form-data parser (include/rs/formdata.h).
 * Runs in: workers (pure). The body is read as a run of delimiters "\r\n--boundary": the
 * bytes before the first are the preamble (discarded; the input is treated as if it began
 * with "\r\n" so that a body opening with "--boundary" matches), each delimiter is followed
 * by "--" (the end) or optional blanks and "\r\n", then the part's headers up to an empty
 * line, then its data up to the next delimiter. Data is matched against the delimiter one
 * byte at a time only from a '\r' on (memchr skips the rest); a partial match that fails
 * gives its bytes back as data. The delimiter has no '\r' after its first byte, so a
 * failed partial match never hides the start of a real one.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "rs/formdata.h"

enum { ST_PREAMBLE, ST_AFTER, ST_DASH, ST_CR, ST_HEADERS, ST_BODY, ST_DONE, ST_FAILED };

static int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

int rs_formdata_boundary(const char *ct, size_t n, const char **b, size_t *blen)
{
    static const char mt[] = "multipart/form-data";
    size_t i = 0;
    while (i < n && is_blank(ct[i]))
        i++;
    if (n - i < sizeof mt - 1 || strncasecmp(ct + i, mt, sizeof mt - 1) != 0)
        return -1;
    i += sizeof mt - 1;
    while (i < n) {
        size_t ns, ne;
        while (i < n && (is_blank(ct[i]) || ct[i] == ';'))
            i++;
        ns = i;
        while (i < n && ct[i] != '=' && ct[i] != ';' && !is_blank(ct[i]))
            i++;
        ne = i;
        while (i < n && is_blank(ct[i]))
            i++;
        if (i == n || ct[i] != '=') {
            if (i < n && ct[i] != ';')
                return -1;
            continue;
        }
        i++;
        while (i < n && is_blank(ct[i]))
            i++;
        const char *v = ct + i;
        size_t vl;
        if (i < n && ct[i] == '"') {
            const char *q = memchr(ct + i + 1, '"', n - i - 1);
            if (q == NULL)
                return -1;
            v = ct + i + 1;
            vl = (size_t)(q - v);
            i = (size_t)(q - ct) + 1;
        } else {
            while (i < n && ct[i] != ';' && !is_blank(ct[i]))
                i++;
            vl = (size_t)(ct + i - v);
        }
        if (ne - ns == 8 && strncasecmp(ct + ns, "boundary", 8) == 0) {
            if (vl == 0 || vl > RS_FORMDATA_MAX_BOUNDARY)
                return -1;
            *b = v;
            *blen = vl;
            return 0;
        }
    }
    return -1;
}

int rs_formdata_init(rs_formdata_t *f, const char *boundary, size_t blen,
                     const rs_formdata_cb_t *cb, void *arg)
{
    memset(f, 0, sizeof *f);
    if (blen == 0 || blen > RS_FORMDATA_MAX_BOUNDARY || memchr(boundary, '\r', blen) != NULL ||
        memchr(boundary, '\n', blen) != NULL)
        return -1;
    f->cb = cb;
    f->arg = arg;
    memcpy(f->delim, "\r\n--", 4);
    memcpy(f->delim + 4, boundary, blen);
    f->dlen = 4 + blen;
    f->state = ST_PREAMBLE;
    f->k = 2; /* the input behaves as if it began with "\r\n" */
    return 0;
}

static int fail(rs_formdata_t *f, const char *why)
{
    f->state = ST_FAILED;
    f->error = why;
    return -1;
}

/* one parameter of Content-Disposition, unquoted in place; NULL when absent */
static char *disposition_param(char *v, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    char *p = strchr(v, ';');
    while (p != NULL) {
        p++;
        while (is_blank(*p))
            p++;
        if (strncasecmp(p, name, nl) == 0) {
            char *q = p + nl;
            while (is_blank(*q))
                q++;
            if (*q == '=') {
                char *out, *w;
                q++;
                while (is_blank(*q))
                    q++;
                if (*q == '"') {
                    out = w = ++q;
                    while (*q != '\0' && *q != '"') {
                        if (*q == '\\' && q[1] != '\0')
                            q++;
                        *w++ = *q++;
                    }
                    if (*q != '"')
                        return NULL;
                } else {
                    out = w = q;
                    while (*q != '\0' && *q != ';' && !is_blank(*q))
                        w++, q++;
                }
                *w = '\0';
                *len = (size_t)(w - out);
                return out;
            }
        }
        /* skip to the next ';' outside quotes */
        int quoted = 0;
        while (*p != '\0' && (quoted || *p != ';')) {
            if (*p == '"')
                quoted = !quoted;
            else if (*p == '\\' && quoted && p[1] != '\0')
                p++;
            p++;
        }
        p = *p == ';' ? p : NULL;
    }
    return NULL;
}

/* the header block of one part (f->hdr, CRLF lines) -> part_begin */
static int headers_done(rs_formdata_t *f)
{
    rs_formdata_part_t part;
    char *disp = NULL, *line = f->hdr, *end = f->hdr + f->hlen;
    memset(&part, 0, sizeof part);
    f->hdr[f->hlen] = '\0';
    while (line < end) {
        char *eol = strstr(line, "\r\n"), *colon, *v;
        if (eol == NULL)
            break;
        *eol = '\0';
        if (eol == line)
            break;
        if (memchr(line, '\0', (size_t)(eol - line)) != NULL)
            return fail(f, "NUL in a part header");
        colon = strchr(line, ':');
        if (colon == NULL)
            return fail(f, "part header without a colon");
        *colon = '\0';
        v = colon + 1;
        while (is_blank(*v))
            v++;
        size_t vl = strlen(v);
        while (vl > 0 && is_blank(v[vl - 1]))
            v[--vl] = '\0';
        if (strcasecmp(line, "content-disposition") == 0)
            disp = v;
        else if (strcasecmp(line, "content-type") == 0)
            part.content_type = v, part.content_type_len = vl;
        line = eol + 2;
    }
    if (disp == NULL)
        return fail(f, "part without Content-Disposition");
    if (strncasecmp(disp, "form-data", 9) != 0 ||
        (disp[9] != '\0' && disp[9] != ';' && !is_blank(disp[9])))
        return fail(f, "Content-Disposition is not form-data");
    /* the filename is unquoted in a copy: unquoting the name writes NULs into disp */
    memcpy(f->aux, disp, strlen(disp) + 1);
    part.name = disposition_param(disp, "name", &part.name_len);
    part.filename = disposition_param(f->aux, "filename", &part.filename_len);
    if (part.name == NULL)
        return fail(f, "part without a name");
    f->parts++;
    return f->cb->part_begin != NULL ? f->cb->part_begin(f->arg, &part) : 0;
}

static int emit(rs_formdata_t *f, const uint8_t *p, size_t n)
{
    if (f->state != ST_BODY || n == 0 || f->cb->part_data == NULL)
        return 0;
    return f->cb->part_data(f->arg, p, n);
}

/* a callback's answer: 0 go on; 1 stop; <0 fail */
static int cb_result(rs_formdata_t *f, int rc)
{
    if (rc > 0)
        f->state = ST_DONE;
    else if (rc < 0)
        f->state = ST_FAILED;
    return rc;
}

/* data or preamble bytes up to the next delimiter; returns bytes consumed, or sets *rc */
static size_t scan_body(rs_formdata_t *f, const uint8_t *p, size_t n, int *rc)
{
    size_t i = 0, ds = 0;
    long ms = f->k > 0 ? -1 : 0; /* where the current partial match began; -1: earlier feed */
    while (i < n) {
        if (f->k == 0) {
            const uint8_t *cr = memchr(p + i, '\r', n - i);
            if (cr == NULL) {
                i = n;
                break;
            }
            i = (size_t)(cr - p);
            ms = (long)i;
            f->k = 1;
            i++;
            continue;
        }
        if (p[i] == (uint8_t)f->delim[f->k]) {
            f->k++;
            i++;
            if (f->k == f->dlen) { /* a delimiter: the data before it, then the part's end */
                if (ms >= 0 && (*rc = cb_result(f, emit(f, p + ds, (size_t)ms - ds))) != 0)
                    return i;
                if (f->state == ST_BODY && f->cb->part_end != NULL &&
                    (*rc = cb_result(f, f->cb->part_end(f->arg))) != 0)
                    return i;
                f->k = 0;
                f->state = ST_AFTER;
                return i;
            }
            continue;
        }
        /* mismatch: the held bytes are data */
        if (ms < 0) {
            if ((*rc = cb_result(f, emit(f, (const uint8_t *)f->delim, f->k))) != 0)
                return i;
            ds = i;
        }
        f->k = 0;
        ms = 0;
    }
    /* the end of this piece: everything before a pending partial match is data */
    size_t upto = f->k > 0 ? (ms >= 0 ? (size_t)ms : ds) : n;
    if (upto > ds && (*rc = cb_result(f, emit(f, p + ds, upto - ds))) != 0)
        return n;
    return n;
}

int rs_formdata_feed(rs_formdata_t *f, const uint8_t *p, size_t n)
{
    size_t i = 0;
    int rc = 0;
    while (i < n) {
        switch (f->state) {
        case ST_PREAMBLE:
        case ST_BODY:
            i += scan_body(f, p + i, n - i, &rc);
            if (rc != 0)
                return rc;
            break;
        case ST_AFTER: /* "--" or blanks then CRLF */
            if (p[i] == '-')
                f->state = ST_DASH;
            else if (p[i] == '\r')
                f->state = ST_CR;
            else if (!is_blank(p[i]))
                return fail(f, "junk after a boundary");
            i++;
            break;
        case ST_DASH:
            if (p[i] != '-')
                return fail(f, "junk after a boundary");
            f->state = ST_DONE;
            i++;
            break;
        case ST_CR:
            if (p[i] != '\n')
                return fail(f, "junk after a boundary");
            f->state = ST_HEADERS;
            f->hlen = 0;
            i++;
            break;
        case ST_HEADERS:
            if (f->hlen == RS_FORMDATA_MAX_HEADERS)
                return fail(f, "part headers too long");
            f->hdr[f->hlen++] = (char)p[i++];
            if ((f->hlen == 2 && memcmp(f->hdr, "\r\n", 2) == 0) ||
                (f->hlen >= 4 && memcmp(f->hdr + f->hlen - 4, "\r\n\r\n", 4) == 0)) {
                if ((rc = cb_result(f, headers_done(f))) != 0)
                    return rc;
                f->state = ST_BODY;
                f->k = 0;
            }
            break;
        case ST_DONE:
            return 0; /* the epilogue */
        default:
            return -1;
        }
    }
    return f->state == ST_FAILED ? -1 : 0;
}

int rs_formdata_finish(rs_formdata_t *f)
{
    if (f->state == ST_DONE)
        return 0;
    if (f->state != ST_FAILED)
        fail(f, "the body ends before the closing boundary");
    return -1;
}
