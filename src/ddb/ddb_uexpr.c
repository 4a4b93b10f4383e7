/*
 * ddb_uexpr.c: what an UpdateExpression does, as far as the item fixes need it: which
 * clauses it has (SET, REMOVE, ADD, DELETE) and the document paths it updates, resolved
 * through ExpressionAttributeNames into a "keep tree" for pruning ReturnValues
 * UPDATED_NEW / UPDATED_OLD answers. The expression is not validated here: DynamoDB Local
 * rejects a malformed one, and the fixes only apply to answers that succeeded.
 * Runs in: the ddb supervisor (pure functions; unit-tested).
 */
#include "config.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ddb/ddb_int.h"

static int word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* the clause keyword at s[i] (a bare word, not a #name, :value or path element), or 0 */
static unsigned keyword_at(const char *s, size_t n, size_t i, size_t *wlen)
{
    static const struct {
        const char *w;
        unsigned bit;
    } kw[] = {{"SET", RS_DDB_UX_SET},
              {"REMOVE", RS_DDB_UX_REMOVE},
              {"ADD", RS_DDB_UX_ADD},
              {"DELETE", RS_DDB_UX_DELETE}};
    if (i > 0 && (word_char(s[i - 1]) || s[i - 1] == '#' || s[i - 1] == ':' || s[i - 1] == '.'))
        return 0;
    size_t e = i;
    while (e < n && word_char(s[e]))
        e++;
    *wlen = e - i;
    for (size_t k = 0; k < sizeof(kw) / sizeof(kw[0]); k++)
        if (strlen(kw[k].w) == e - i && strncasecmp(kw[k].w, s + i, e - i) == 0)
            return kw[k].bit;
    return 0;
}

unsigned rs_ddb_uexpr_clauses(const char *expr)
{
    unsigned bits = 0;
    size_t n = strlen(expr), w;
    for (size_t i = 0; i < n; i++) {
        if (!word_char(expr[i]))
            continue;
        bits |= keyword_at(expr, n, i, &w);
        while (i + 1 < n && word_char(expr[i + 1]))
            i++;
    }
    return bits;
}

/* add one path (text s[0..n), spaces allowed around its parts) to the keep tree */
static void add_path(json_object *tree, const char *s, size_t n, json_object *names)
{
    json_object *node = tree;
    char key[320], name[300];
    size_t i = 0;
    int any = 0;
    while (i < n) {
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        if (i >= n)
            break;
        if (s[i] == '.') {
            i++;
            continue;
        }
        if (s[i] == '[') {
            size_t e = i + 1;
            long idx = 0;
            while (e < n && isspace((unsigned char)s[e]))
                e++;
            if (e >= n || !isdigit((unsigned char)s[e]))
                return;
            while (e < n && isdigit((unsigned char)s[e]) && idx < 100000000)
                idx = idx * 10 + (s[e++] - '0');
            while (e < n && s[e] != ']')
                e++;
            snprintf(key, sizeof(key), "i:%ld", idx);
            i = e + 1;
        } else {
            size_t e = i;
            if (s[e] == '#')
                e++;
            while (e < n && word_char(s[e]))
                e++;
            if (e == i)
                return; /* not a path */
            snprintf(name, sizeof(name), "%.*s", (int)(e - i), s + i);
            if (name[0] == '#') {
                json_object *v;
                if (names == NULL || !json_object_object_get_ex(names, name, &v) ||
                    !json_object_is_type(v, json_type_string))
                    return;
                snprintf(name, sizeof(name), "%s", json_object_get_string(v));
            }
            snprintf(key, sizeof(key), "n:%s", name);
            i = e;
        }
        json_object *child;
        if (json_object_object_get_ex(node, key, &child)) {
            if (json_object_object_get_ex(child, "", NULL))
                return; /* a prefix is kept whole already */
        } else {
            child = json_object_new_object();
            json_object_object_add(node, key, child);
        }
        node = child;
        any = 1;
    }
    if (any)
        json_object_object_add(node, "", json_object_new_boolean(1)); /* kept whole */
}

/* the end of one action starting at i: the next ',' at depth 0, or a clause keyword */
static size_t action_end(const char *s, size_t n, size_t i)
{
    int depth = 0;
    size_t w;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '(' || c == '[')
            depth++;
        else if ((c == ')' || c == ']') && depth > 0)
            depth--;
        else if (c == ',' && depth == 0)
            return i;
        else if (word_char(c)) {
            if (keyword_at(s, n, i, &w))
                return i;
            while (i + 1 < n && word_char(s[i + 1]))
                i++;
        }
    }
    return n;
}

json_object *rs_ddb_uexpr_paths(const char *expr, json_object *names)
{
    json_object *tree = json_object_new_object();
    size_t n = strlen(expr), i = 0, w;
    unsigned clause = 0;
    while (tree != NULL && i < n) {
        if (isspace((unsigned char)expr[i]) || expr[i] == ',') {
            i++;
            continue;
        }
        unsigned k = word_char(expr[i]) ? keyword_at(expr, n, i, &w) : 0;
        if (k) {
            clause = k;
            i += w;
            continue;
        }
        size_t e = action_end(expr, n, i), pe;
        if (clause == RS_DDB_UX_SET) {
            pe = i;
            while (pe < e && expr[pe] != '=')
                pe++;
        } else if (clause == RS_DDB_UX_REMOVE) {
            pe = e;
        } else {
            /* ADD / DELETE: "path value": the path ends at the space before the value */
            pe = i;
            while (pe < e && !isspace((unsigned char)expr[pe]) && expr[pe] != ':')
                pe++;
        }
        if (clause != 0)
            add_path(tree, expr + i, pe - i, names);
        i = e > i ? e : i + 1;
    }
    return tree;
}

/* a copy of v pruned to the keep-tree node t; NULL when nothing of it is kept */
static json_object *prune_value(json_object *v, json_object *t)
{
    json_object *leaf, *inner;
    if (json_object_object_get_ex(t, "", &leaf))
        return json_object_get(v);
    if (!json_object_is_type(v, json_type_object))
        return NULL;
    if (json_object_object_get_ex(v, "M", &inner) && json_object_is_type(inner, json_type_object)) {
        json_object *m = json_object_new_object();
        json_object_object_foreach(t, key, sub)
        {
            json_object *c, *p;
            if (strncmp(key, "n:", 2) != 0 || !json_object_object_get_ex(inner, key + 2, &c))
                continue;
            if ((p = prune_value(c, sub)) != NULL)
                json_object_object_add(m, key + 2, p);
        }
        if (json_object_object_length(m) == 0) {
            json_object_put(m);
            return NULL;
        }
        json_object *r = json_object_new_object();
        json_object_object_add(r, "M", m);
        return r;
    }
    if (json_object_object_get_ex(v, "L", &inner) && json_object_is_type(inner, json_type_array)) {
        json_object *l = json_object_new_array();
        char key[32];
        for (size_t i = 0; i < json_object_array_length(inner); i++) {
            json_object *sub, *p;
            snprintf(key, sizeof(key), "i:%zu", i);
            if (json_object_object_get_ex(t, key, &sub) &&
                (p = prune_value(json_object_array_get_idx(inner, i), sub)) != NULL)
                json_object_array_add(l, p);
        }
        if (json_object_array_length(l) == 0) {
            json_object_put(l);
            return NULL;
        }
        json_object *r = json_object_new_object();
        json_object_object_add(r, "L", l);
        return r;
    }
    return NULL;
}

json_object *rs_ddb_uexpr_prune(json_object *attrs, json_object *tree)
{
    json_object *out = json_object_new_object();
    json_object_object_foreach(tree, key, sub)
    {
        json_object *v, *p;
        if (strncmp(key, "n:", 2) != 0 || !json_object_object_get_ex(attrs, key + 2, &v))
            continue;
        if ((p = prune_value(v, sub)) != NULL)
            json_object_object_add(out, key + 2, p);
    }
    return out;
}
