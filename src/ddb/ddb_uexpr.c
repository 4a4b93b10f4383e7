/*
 * ddb_uexpr.c: what an UpdateExpression does, as far as the item fixes need it: which
 * clauses it has (SET, REMOVE, ADD, DELETE) and the document paths it updates, resolved
 * through ExpressionAttributeNames into a "keep tree" for pruning ReturnValues
 * UPDATED_NEW / UPDATED_OLD answers. The expression is read by the worker's parser
 * (rs_ddbx_update_actions, rs/ddb_expr.h: one tokenizer and parser for every expression
 * grammar); the worker has already rejected a malformed one before forwarding.
 * Runs in: the ddb supervisor (pure functions; unit-tested).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "ddb/ddb_int.h"
#include "rs/ddb_expr.h"
#include "rs/ddb_json.h"

static void clause_bits(void *arg, unsigned clause, const char *path, int depth)
{
    (void)path;
    (void)depth;
    *(unsigned *)arg |= clause;
}

unsigned rs_ddb_uexpr_clauses(const char *expr)
{
    unsigned bits = 0;
    rs_ddbx_refs_t refs;
    memset(&refs, 0, sizeof(refs));
    rs_ddbx_update_actions(expr, strlen(expr), &refs, clause_bits, &bits);
    return bits;
}

/* one written path (RS_DDBX_SEP between elements, "[n]" for list indexes) into the keep
 * tree */
static void add_path(void *arg, unsigned clause, const char *path, int depth)
{
    json_object *node = arg;
    char key[320];
    (void)clause;
    if (path == NULL || depth <= 0 || node == NULL)
        return;
    for (const char *p = path; *p != '\0';) {
        size_t n = strcspn(p, "\x1f");
        if (p[0] == '[' && n >= 2 && p[n - 1] == ']')
            snprintf(key, sizeof(key), "i:%.*s", (int)(n - 2), p + 1);
        else if (p[0] == '#')
            return; /* an undefined name: nothing known to keep */
        else
            snprintf(key, sizeof(key), "n:%.*s", (int)(n < 300 ? n : 300), p);
        json_object *child;
        if (json_object_object_get_ex(node, key, &child)) {
            if (json_object_object_get_ex(child, "", NULL))
                return; /* a prefix is kept whole already */
        } else {
            child = json_object_new_object();
            json_object_object_add(node, key, child);
        }
        node = child;
        p += n;
        if (*p == RS_DDBX_SEP)
            p++;
    }
    json_object_object_add(node, "", json_object_new_boolean(1)); /* kept whole */
}

json_object *rs_ddb_uexpr_paths(const char *expr, json_object *names)
{
    json_object *tree = json_object_new_object();
    rs_ddbx_refs_t refs;
    memset(&refs, 0, sizeof(refs));
    const char *nt =
        names != NULL ? json_object_to_json_string_ext(names, JSON_C_TO_STRING_PLAIN) : NULL;
    if (nt != NULL)
        refs.names = rs_jv_parse(nt, strlen(nt));
    if (tree != NULL)
        rs_ddbx_update_actions(expr, strlen(expr), &refs, add_path, tree);
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
