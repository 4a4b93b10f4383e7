/*
 * xml_write.c: the S3 layer's XML writer: elements and escaped text appended straight to
 * a heap buffer, with a small stack of open element names. It writes the bytes libxml2's
 * xmlTextWriter wrote before (declaration, no indentation, <A></A> for empty elements
 * closed by rs_xml_end, <A/> for empty ones closed by rs_xml_finish,
 * < > & " and CR escaped, a final newline) at a fraction of its cost: a 1,000-key
 * ListObjectsV2 page spent most of its time in the text writer's buffers and lists.
 * Runs in: workers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/err.h"
#include "rs/xml.h"

#define MAX_DEPTH 32
#define NAMES_CAP 1024

struct rs_xml {
    rs_buf_t out;
    size_t depth;
    size_t name_end[MAX_DEPTH]; /* end offset of each open name in names[] */
    char names[NAMES_CAP];
    size_t open_end; /* out.len just after the last start tag: nothing written since */
};

static void put(rs_xml_t *x, const char *s, size_t n)
{
    rs_buf_t *b = &x->out;
    if (b->cap - b->len > n) { /* room for the bytes and the NUL rs_buf keeps */
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else {
        rs_buf_append(b, s, n);
    }
}

static void puts_(rs_xml_t *x, const char *s)
{
    put(x, s, strlen(s));
}

/* Text content: the five characters libxml2's xmlEncodeSpecialChars replaced. */
static void escaped(rs_xml_t *x, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        switch (s[i]) {
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '&':
            rep = "&amp;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\r':
            rep = "&#13;";
            break;
        default:
            continue;
        }
        put(x, s + run, i - run);
        puts_(x, rep);
        run = i + 1;
    }
    put(x, s + run, n - run);
}

static void open_tag(rs_xml_t *x, const char *name)
{
    size_t len = strlen(name), at = x->depth ? x->name_end[x->depth - 1] : 0;

    /* S3's documents nest a few levels with short literal names */
    RS_ASSERT(x->depth < MAX_DEPTH && at + len <= NAMES_CAP, "XML element stack overflow");
    memcpy(x->names + at, name, len);
    x->name_end[x->depth++] = at + len;
    put(x, "<", 1);
    put(x, name, len);
    put(x, ">", 1);
    x->open_end = x->out.len;
}

rs_xml_t *rs_xml_begin(const char *root, const char *ns)
{
    rs_xml_t *x = calloc(1, sizeof(*x));

    if (x == NULL)
        return NULL;
    rs_buf_init(&x->out);
    puts_(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    open_tag(x, root);
    if (ns != NULL) { /* the root's attribute: reopen its start tag */
        x->out.len--;
        puts_(x, " xmlns=\"");
        escaped(x, ns, strlen(ns));
        puts_(x, "\">");
        x->open_end = x->out.len;
    }
    return x;
}

void rs_xml_start(rs_xml_t *x, const char *name)
{
    if (x != NULL)
        open_tag(x, name);
}

void rs_xml_end(rs_xml_t *x)
{
    size_t at;

    if (x == NULL || x->depth == 0)
        return;
    x->depth--;
    at = x->depth ? x->name_end[x->depth - 1] : 0;
    put(x, "</", 2);
    put(x, x->names + at, x->name_end[x->depth] - at);
    put(x, ">", 1);
}

void rs_xml_text(rs_xml_t *x, const char *text)
{
    if (x != NULL && text != NULL)
        escaped(x, text, strlen(text));
}

void rs_xml_elemn(rs_xml_t *x, const char *name, const char *text, size_t len)
{
    if (x == NULL)
        return;
    open_tag(x, name);
    escaped(x, text, len);
    rs_xml_end(x);
}

void rs_xml_elem(rs_xml_t *x, const char *name, const char *text)
{
    rs_xml_elemn(x, name, text ? text : "", text ? strlen(text) : 0);
}

void rs_xml_elemf(rs_xml_t *x, const char *name, const char *fmt, ...)
{
    va_list ap;
    char small[128];
    char *t = small;
    int len;

    if (x == NULL)
        return;
    va_start(ap, fmt);
    len = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    if ((size_t)len >= sizeof(small)) {
        t = malloc((size_t)len + 1);
        if (t == NULL)
            return;
        va_start(ap, fmt);
        vsnprintf(t, (size_t)len + 1, fmt, ap);
        va_end(ap);
    }
    rs_xml_elemn(x, name, t, (size_t)len);
    if (t != small)
        free(t);
}

void rs_xml_finish(rs_xml_t *x, rs_buf_t *out)
{
    if (x == NULL)
        return;
    /* what is still open is closed as libxml2's end of document closed it: an element
     * with nothing inside as <A/> (an empty LocationConstraint, VersioningConfiguration) */
    while (x->depth > 0) {
        if (x->out.len == x->open_end) {
            x->out.len--;
            puts_(x, "/>");
            x->depth--;
            x->open_end = 0;
        } else {
            rs_xml_end(x);
        }
    }
    put(x, "\n", 1);
    if (out->len == 0) { /* hand the buffer over instead of copying it */
        rs_buf_free(out);
        *out = x->out;
    } else {
        rs_buf_append(out, x->out.data, x->out.len);
        rs_buf_free(&x->out);
    }
    free(x);
}
