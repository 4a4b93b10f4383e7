/*
 * ddb_expr.c: the expression checker of rs/ddb_expr.h. The expression is tokenized once
 * into a per-thread array; a recursive-descent parser per grammar (condition, update,
 * projection) walks the tokens. A syntax error stops the walk; the other findings are
 * kept per class, the first of each in document order, and the answer is the first
 * class that has one, in AWS's order: syntax, structure (redundant parentheses, a clause
 * twice), names (reserved words, unknown functions), undefined #names, undefined :values,
 * function and operand use, the KeyConditionExpression subset, overlapping paths.
 * rs_ddbx_update_actions runs the same update parser for the supervisor's item fixes
 * (src/ddb/ddb_uexpr.c): the clauses and the paths each action writes.
 * Runs in: workers (pure).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ddb_avcheck.h"
#include "rs/ddb_expr.h"

#define MAX_EXPR 4096
#define MAX_TOK (MAX_EXPR + 2)
#define MAX_NEST 64   /* parentheses and function calls */
#define MAX_PATHS 256 /* paths kept for the overlap check */
#define POOL 16384    /* their text */
#define PATH_TXT 512  /* one printed path */
#define MSG 600

enum {
    T_EOF,
    T_NAME,
    T_HASH,
    T_COLON,
    T_NUM,
    T_LP,
    T_RP,
    T_LB,
    T_RB,
    T_COMMA,
    T_DOT,
    T_CMP, /* = <> < <= > >= */
    T_PLUS,
    T_MINUS,
    T_BAD,
};

/* the order AWS reports findings in (observed): structure; reserved words and function
 * names; the #names of the paths an UpdateExpression writes; then one walk in document
 * order over names, values, operand types and function use; ADD's operand types (after
 * DELETE's, which are in the walk); the KeyConditionExpression subset; overlapping paths */
enum { C_STRUCT, C_WORD, C_LHS, C_REF, C_ADD, C_KEY, C_KEYN, C_OVERLAP, C_N };

enum {
    F_NONE,
    F_EXISTS,
    F_NOT_EXISTS,
    F_TYPE,
    F_BEGINS,
    F_CONTAINS,
    F_SIZE,
    F_IF_NOT_EXISTS,
    F_LIST_APPEND,
    F_UNKNOWN,
};

static const struct {
    const char *name;
    int arity;
    int boolean;
} funcs[] = {
    [F_EXISTS] = {"attribute_exists", 1, 1},     [F_NOT_EXISTS] = {"attribute_not_exists", 1, 1},
    [F_TYPE] = {"attribute_type", 2, 1},         [F_BEGINS] = {"begins_with", 2, 1},
    [F_CONTAINS] = {"contains", 2, 1},           [F_SIZE] = {"size", 1, 0},
    [F_IF_NOT_EXISTS] = {"if_not_exists", 2, 0}, [F_LIST_APPEND] = {"list_append", 2, 0},
};

typedef struct tok {
    uint8_t t;
    uint32_t s, e;
} tok_t;

/* an operand as the checks need it */
typedef struct opnd {
    int kind; /* 0 path, 1 :value, 2 function */
    int fn;
    uint32_t tok;  /* first token */
    int depth;     /* path elements */
    int arg0;      /* a function's first argument is a path (path/depth are then its) */
    char vtype[8]; /* a :value's data type ("S", "NS", ...; "" when undefined) */
    rs_jv_t value; /* and the value */
    char path[PATH_TXT];
} opnd_t;

typedef struct xctx {
    const char *x;
    size_t n;
    tok_t tok[MAX_TOK];
    size_t nt, i;
    rs_ddbx_kind_t kind;
    rs_ddbx_refs_t *refs;
    int syntax; /* a syntax error at tok[i] */
    int nest;
    char err[C_N][MSG];
    char pool[POOL];
    size_t pool_len;
    uint32_t poff[MAX_PATHS];
    int npaths;
    char keys[2][PATH_TXT]; /* KeyConditionExpression: the keys with a condition */
    int nkeys;
    int key_defer;        /* a nested key path: no key-condition text of ours follows */
    int lhs;              /* parsing the path an update action writes */
    int operators;        /* comparisons, BETWEEN, IN, AND, OR, NOT so far */
    rs_ddbx_action_fn fn; /* rs_ddbx_update_actions' callback */
    void *arg;
} xctx_t;

static int word_start(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int word_char(char ch)
{
    return word_start(ch) || (ch >= '0' && ch <= '9') || ch == '_';
}

int rs_ddbx_placeholder_ok(char sigil, const char *s, size_t n)
{
    if (n < 2 || s[0] != sigil)
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!word_char(s[i]))
            return 0;
    return 1;
}

static void lex(xctx_t *c)
{
    size_t p = 0;
    c->nt = 0;
    while (c->nt < MAX_TOK - 1) {
        while (p < c->n &&
               (c->x[p] == ' ' || c->x[p] == '\t' || c->x[p] == '\n' || c->x[p] == '\r'))
            p++;
        tok_t *t = &c->tok[c->nt++];
        t->s = (uint32_t)p;
        if (p >= c->n) {
            t->t = T_EOF, t->e = (uint32_t)p;
            return;
        }
        char ch = c->x[p];
        size_t q = p + 1;
        if (word_start(ch)) {
            while (q < c->n && word_char(c->x[q]))
                q++;
            t->t = T_NAME;
        } else if (ch >= '0' && ch <= '9') {
            while (q < c->n && c->x[q] >= '0' && c->x[q] <= '9')
                q++;
            t->t = T_NUM;
        } else if ((ch == '#' || ch == ':') && q < c->n && word_char(c->x[q])) {
            while (q < c->n && word_char(c->x[q]))
                q++;
            t->t = ch == '#' ? T_HASH : T_COLON;
        } else if (ch == '<' && q < c->n && (c->x[q] == '=' || c->x[q] == '>')) {
            q++;
            t->t = T_CMP;
        } else if (ch == '>' && q < c->n && c->x[q] == '=') {
            q++;
            t->t = T_CMP;
        } else {
            switch (ch) {
            case '(':
                t->t = T_LP;
                break;
            case ')':
                t->t = T_RP;
                break;
            case '[':
                t->t = T_LB;
                break;
            case ']':
                t->t = T_RB;
                break;
            case ',':
                t->t = T_COMMA;
                break;
            case '.':
                t->t = T_DOT;
                break;
            case '=':
            case '<':
            case '>':
                t->t = T_CMP;
                break;
            case '+':
                t->t = T_PLUS;
                break;
            case '-':
                t->t = T_MINUS;
                break;
            default:
                t->t = T_BAD;
                if ((unsigned char)ch >= 0xC0) /* one UTF-8 character */
                    while (q < c->n && ((unsigned char)c->x[q] & 0xC0) == 0x80)
                        q++;
                break;
            }
        }
        t->e = (uint32_t)q;
        p = q;
    }
    c->tok[c->nt].t = T_EOF; /* not reached: at most MAX_EXPR tokens */
    c->tok[c->nt].s = c->tok[c->nt].e = (uint32_t)c->n;
    c->nt++;
}

static const tok_t *cur(xctx_t *c)
{
    return &c->tok[c->i < c->nt ? c->i : c->nt - 1];
}

static int is_kw(xctx_t *c, const tok_t *t, const char *kw)
{
    size_t n = strlen(kw);
    if (t->t != T_NAME || t->e - t->s != n)
        return 0;
    for (size_t k = 0; k < n; k++) {
        char ch = c->x[t->s + k];
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (ch != kw[k])
            return 0;
    }
    return 1;
}

static int syntax(xctx_t *c)
{
    if (!c->syntax)
        c->syntax = 1;
    return -1;
}

__attribute__((format(printf, 3, 4))) static void note(xctx_t *c, int cls, const char *fmt, ...)
{
    if (c->err[cls][0] != '\0' || ((cls == C_KEY || cls == C_KEYN) && c->key_defer))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err[cls], MSG, fmt, ap);
    va_end(ap);
}

static int expect(xctx_t *c, int t)
{
    if (cur(c)->t != t)
        return syntax(c);
    c->i++;
    return 0;
}

/* the index of placeholder tok in map (or -1), marked used */
static int lookup(xctx_t *c, rs_jv_t map, uint8_t *used, const tok_t *t, char *val, size_t cap,
                  rs_jv_t *value)
{
    rs_jv_iter_t it;
    rs_jv_t k, v;
    char kb[300];
    int idx = 0;
    size_t n = t->e - t->s;
    rs_jv_iter(map, &it);
    while (rs_jv_next(&it, &k, &v)) {
        size_t kl = rs_jv_str(k, kb, sizeof(kb));
        if (kl == n && memcmp(kb, c->x + t->s, n) == 0) {
            if (idx < RS_DDBX_MAX_REFS)
                used[idx / 8] |= (uint8_t)(1u << (idx % 8));
            if (val != NULL)
                rs_jv_str(v, val, cap);
            if (value != NULL)
                *value = v;
            return idx;
        }
        idx++;
    }
    return -1;
}

/* the data type of an AttributeValue ("" when none) */
static void value_type(rs_jv_t av, char *out, size_t cap)
{
    static const char *const types[] = {"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"};
    rs_jv_iter_t it;
    rs_jv_t k, v;
    out[0] = '\0';
    rs_jv_iter(av, &it);
    while (rs_jv_next(&it, &k, &v))
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            if (v.p != NULL && rs_jv_streq(k, types[i])) {
                snprintf(out, cap, "%s", types[i]);
                return;
            }
}

/* a constant operand whose type the operator or function does not take */
static void operand_type(xctx_t *c, const char *op, const opnd_t *o, const char *allowed)
{
    if (o->kind != 1 || o->vtype[0] == '\0')
        return;
    char pat[12];
    snprintf(pat, sizeof(pat), ",%s,", o->vtype);
    if (strstr(allowed, pat) != NULL)
        return;
    note(c, C_REF,
         "Incorrect operand type for operator or function; operator or function: %s, operand "
         "type: %s",
         op, o->vtype);
}

static void path_add(opnd_t *o, const char *s, size_t n, int index)
{
    size_t l = strlen(o->path);
    if (o->depth > 0 && l + 1 < PATH_TXT)
        o->path[l++] = '\x1f';
    if (index && l + 1 < PATH_TXT)
        o->path[l++] = '[';
    for (size_t k = 0; k < n && l + 2 < PATH_TXT; k++)
        o->path[l++] = s[k];
    if (index && l + 1 < PATH_TXT)
        o->path[l++] = ']';
    o->path[l] = '\0';
    o->depth++;
}

/* a document path at the current token */
static int parse_path(xctx_t *c, opnd_t *o)
{
    o->kind = 0;
    o->arg0 = 0;
    o->fn = F_NONE;
    o->depth = 0;
    o->path[0] = '\0';
    o->tok = (uint32_t)c->i;
    for (;;) {
        const tok_t *t = cur(c);
        char name[PATH_TXT];
        if (t->t == T_NAME) {
            if (rs_ddbx_reserved(c->x + t->s, t->e - t->s))
                note(c, C_WORD, "Attribute name is a reserved keyword; reserved keyword: %.*s",
                     (int)(t->e - t->s), c->x + t->s);
            path_add(o, c->x + t->s, t->e - t->s, 0);
        } else if (t->t == T_HASH) {
            if (lookup(c, c->refs->names, c->refs->used_names, t, name, sizeof(name), NULL) < 0) {
                note(c, c->lhs ? C_LHS : C_REF,
                     "An expression attribute name used in the document path is not defined; "
                     "attribute name: %.*s",
                     (int)(t->e - t->s), c->x + t->s);
                path_add(o, c->x + t->s, t->e - t->s, 0);
            } else {
                path_add(o, name, strlen(name), 0);
            }
        } else {
            return syntax(c);
        }
        c->i++;
        for (;;) {
            t = cur(c);
            if (t->t == T_LB) {
                c->i++;
                t = cur(c);
                if (t->t != T_NUM)
                    return syntax(c);
                const char *dg = c->x + t->s;
                size_t dl = t->e - t->s;
                while (dl > 1 && *dg == '0')
                    dg++, dl--;
                if (dl > 10 || (dl == 10 && memcmp(dg, "2147483647", 10) > 0))
                    note(c, C_REF, "List index is not within the allowable range; index: [%.*s]",
                         (int)(dl > 100 ? 100 : dl), c->x + t->s);
                path_add(o, c->x + t->s, t->e - t->s, 1);
                c->i++;
                if (expect(c, T_RB) != 0)
                    return -1;
                continue;
            }
            break;
        }
        if (cur(c)->t != T_DOT)
            break;
        c->i++;
    }
    if (o->depth > 32) {
        note(c, C_REF, "The document path has too many nesting levels; nesting levels: %d",
             o->depth);
    }
    return 0;
}

static void printed(const char *p, char *out, size_t cap)
{
    size_t w = 0;
    for (; *p && w + 3 < cap; p++) {
        if (*p == '\x1f') {
            out[w++] = ',';
            out[w++] = ' ';
        } else {
            out[w++] = *p;
        }
    }
    out[w] = '\0';
}

static void distinct(xctx_t *c, const char *op, const opnd_t *a, const opnd_t *b)
{
    if (a->kind != 0 || b->kind != 0 || strcmp(a->path, b->path) != 0)
        return;
    char p[PATH_TXT + 64];
    printed(a->path, p, sizeof(p));
    note(c, C_REF,
         "The first operand must be distinct from the remaining operands for this operator "
         "or function; operator: %s, first operand: [%.400s]",
         op, p);
}

static int fn_id(xctx_t *c, const tok_t *t)
{
    for (int f = F_EXISTS; f < F_UNKNOWN; f++)
        if (strlen(funcs[f].name) == t->e - t->s &&
            memcmp(funcs[f].name, c->x + t->s, t->e - t->s) == 0)
            return f;
    return F_UNKNOWN;
}

static int parse_operand(xctx_t *c, opnd_t *o, int in_update);

/* name ( args ): the call's own checks; o describes it as an operand */
static int parse_call(xctx_t *c, opnd_t *o, int in_update)
{
    const tok_t *nt = cur(c);
    int fn = fn_id(c, nt);
    char fname[80];
    snprintf(fname, sizeof(fname), "%.*s", (int)(nt->e - nt->s), c->x + nt->s);
    o->kind = 2;
    o->fn = fn;
    o->arg0 = 0;
    o->tok = (uint32_t)c->i;
    o->depth = 0;
    o->path[0] = '\0';
    if (fn == F_UNKNOWN)
        note(c, C_WORD, "Invalid function name; function: %s", fname);
    c->i += 2; /* name ( */
    if (++c->nest > MAX_NEST)
        return syntax(c);
    int nargs = 0;
    opnd_t *args = NULL;
    static __thread opnd_t stack[MAX_NEST + 1][2];
    args = stack[c->nest];
    for (;;) {
        opnd_t tmp, *a = nargs < 2 ? &args[nargs] : &tmp;
        if (parse_operand(c, a, in_update) != 0)
            return -1;
        if (a->kind == 2 && a->fn != F_UNKNOWN && funcs[a->fn].boolean)
            note(c, C_REF,
                 "The function is not allowed to be used this way in an expression; function: %s",
                 funcs[a->fn].name);
        nargs++;
        if (cur(c)->t == T_COMMA) {
            c->i++;
            continue;
        }
        break;
    }
    if (expect(c, T_RP) != 0)
        return -1;
    c->nest--;
    if (fn == F_UNKNOWN)
        return 0;
    if (nargs != funcs[fn].arity) {
        note(c, C_REF,
             "Incorrect number of operands for operator or function; operator or function: "
             "%s, number of operands: %d",
             fname, nargs);
        return 0;
    }
    if ((fn == F_EXISTS || fn == F_NOT_EXISTS || fn == F_IF_NOT_EXISTS) && args[0].kind != 0)
        note(c, C_REF, "Operator or function requires a document path; operator or function: %s",
             fname);
    if (fn == F_BEGINS || fn == F_CONTAINS)
        distinct(c, fname, &args[0], &args[1]);
    if (!in_update && (fn == F_IF_NOT_EXISTS || fn == F_LIST_APPEND))
        note(c, C_REF, "The function is not allowed in a condition expression; function: %s",
             fname);
    if (in_update && fn != F_IF_NOT_EXISTS && fn != F_LIST_APPEND)
        note(c, C_WORD, "The function is not allowed in an update expression; function: %s", fname);
    if (fn == F_LIST_APPEND && ((args[0].kind == 2 && args[0].fn == F_LIST_APPEND) ||
                                (args[1].kind == 2 && args[1].fn == F_LIST_APPEND)))
        note(c, C_REF,
             "The function is not allowed to be used this way in an expression; function: %s",
             fname);
    if (fn == F_BEGINS) {
        operand_type(c, fname, &args[0], ",S,B,");
        operand_type(c, fname, &args[1], ",S,B,");
    }
    if (fn == F_SIZE)
        operand_type(c, fname, &args[0], ",S,B,SS,NS,BS,L,M,");
    if (fn == F_TYPE)
        operand_type(c, fname, &args[1], ",S,");
    if (fn == F_SIZE && args[0].kind == 2 && args[0].fn == F_SIZE)
        note(c, C_REF,
             "Incorrect operand type for operator or function; operator or function: size, "
             "operand type: N");
    if (c->kind == RS_DDBX_KEY && fn == F_SIZE)
        note(c, C_KEYN, "KeyConditionExpressions cannot contain nested operations");
    if (fn == F_BEGINS && c->kind == RS_DDBX_KEY && args[0].kind == 0) {
        /* begins_with(key, :v): the key side of a key condition */
        memcpy(o->path, args[0].path, sizeof(o->path));
        o->depth = args[0].depth;
        o->arg0 = 1;
    }
    return 0;
}

static int parse_operand(xctx_t *c, opnd_t *o, int in_update)
{
    const tok_t *t = cur(c);
    if (t->t == T_NAME && c->i + 1 < c->nt && c->tok[c->i + 1].t == T_LP)
        return parse_call(c, o, in_update);
    if (t->t == T_COLON) {
        o->kind = 1;
        o->arg0 = 0;
        o->fn = F_NONE;
        o->depth = 0;
        o->path[0] = '\0';
        o->tok = (uint32_t)c->i;
        o->vtype[0] = '\0';
        o->value.p = NULL;
        o->value.n = 0;
        if (lookup(c, c->refs->values, c->refs->used_values, t, NULL, 0, &o->value) >= 0)
            value_type(o->value, o->vtype, sizeof(o->vtype));
        else
            note(c, C_REF,
                 "An expression attribute value used in expression is not defined; attribute "
                 "value: %.*s",
                 (int)(t->e - t->s), c->x + t->s);
        c->i++;
        return 0;
    }
    if (t->t == T_NAME && (is_kw(c, t, "AND") || is_kw(c, t, "OR") || is_kw(c, t, "NOT") ||
                           is_kw(c, t, "BETWEEN") || is_kw(c, t, "IN")))
        return syntax(c);
    return parse_path(c, o);
}

/* ---- KeyConditionExpression ------------------------------------------------------ */

static void key_op(xctx_t *c, const char *op)
{
    if (c->kind == RS_DDBX_KEY)
        note(c, C_KEY, "Invalid operator used in KeyConditionExpression: %s", op);
}

/* one condition's key side (o: the path operand, or none) */
static void key_cond(xctx_t *c, const opnd_t *a, const opnd_t *b)
{
    if (c->kind != RS_DDBX_KEY)
        return;
    const opnd_t *k = a->kind == 0 ? a : (b != NULL && b->kind == 0 ? b : NULL);
    if (k == NULL) {
        if (!(a->kind == 2 || (b != NULL && b->kind == 2)))
            note(c, C_KEY,
                 "Invalid condition in KeyConditionExpression: No key attribute specified");
        return;
    }
    if (k->depth > 1) {
        /* the text depends on the schema ("Key attributes must be scalars ...: Key: pk" for
         * a key, "... cannot have conditions on nested attributes" else) and it comes
         * before the key-condition texts that follow: all left to DynamoDB Local */
        c->key_defer = 1;
        return;
    }
    for (int i = 0; i < c->nkeys; i++)
        if (strcmp(c->keys[i], k->path) == 0) {
            note(c, C_KEY, "KeyConditionExpressions must only contain one condition per key");
            return;
        }
    if (c->nkeys < 2)
        snprintf(c->keys[c->nkeys++], PATH_TXT, "%s", k->path);
}

/* ---- conditions ------------------------------------------------------------------ */

/* one more operator: more than 300 in an expression is an error */
static void count_operator(xctx_t *c)
{
    if (++c->operators == 301)
        note(c, C_STRUCT, "The expression contains too many operators; operator count: %d",
             c->operators);
}

/* BETWEEN with two constant bounds (S or N): same type, lower <= upper */
static void between_bounds(xctx_t *c, const opnd_t *lo, const opnd_t *hi)
{
    if (lo->kind != 1 || hi->kind != 1)
        return;
    int lo_ok = strcmp(lo->vtype, "S") == 0 || strcmp(lo->vtype, "N") == 0;
    int hi_ok = strcmp(hi->vtype, "S") == 0 || strcmp(hi->vtype, "N") == 0;
    if (!lo_ok || !hi_ok)
        return; /* B bounds (and wrong types, reported above) are left out */
    char a[200], b[200];
    rs_jv_t av = rs_jv_get(lo->value, lo->vtype), bv = rs_jv_get(hi->value, hi->vtype);
    size_t an = rs_jv_str(av, a, sizeof(a)), bn = rs_jv_str(bv, b, sizeof(b));
    if (an >= sizeof(a) || bn >= sizeof(b))
        return;
    int cmp = 0;
    if (strcmp(lo->vtype, hi->vtype) != 0) {
        note(c, C_REF,
             "The BETWEEN operator requires same data type for lower and upper bounds; lower "
             "bound operand: AttributeValue: {%s:%s}, upper bound operand: AttributeValue: "
             "{%s:%s}",
             lo->vtype, a, hi->vtype, b);
        return;
    }
    if (lo->vtype[0] == 'S') {
        cmp = strcmp(a, b);
    } else if (rs_ddb_num_cmp(a, an, b, bn, &cmp) != 0) {
        return; /* not numbers: the attribute-value checks answer */
    }
    if (cmp > 0)
        note(c, C_REF,
             "The BETWEEN operator requires upper bound to be greater than or equal to lower "
             "bound; lower bound operand: AttributeValue: {%s:%s}, upper bound operand: "
             "AttributeValue: {%s:%s}",
             lo->vtype, a, hi->vtype, b);
}

static int parse_or(xctx_t *c);

/* 1: the primary was a parenthesized group; 0: anything else; -1: syntax error */
static int parse_primary(xctx_t *c)
{
    const tok_t *t = cur(c);
    if (t->t == T_LP) {
        c->i++;
        if (++c->nest > MAX_NEST)
            return syntax(c);
        int r = parse_or(c);
        if (r < 0)
            return -1;
        if (expect(c, T_RP) != 0)
            return -1;
        c->nest--;
        if (r == 1)
            note(c, C_STRUCT, "The expression has redundant parentheses;");
        return 1;
    }
    opnd_t a, b, d;
    if (parse_operand(c, &a, 0) != 0)
        return -1;
    t = cur(c);
    int compared = t->t == T_CMP || is_kw(c, t, "BETWEEN") || is_kw(c, t, "IN");
    if (a.kind == 2 && !compared) {
        /* a function standing alone: a condition when it is a boolean one */
        if (a.fn == F_UNKNOWN)
            return 0; /* "Invalid function name" is noted */
        if (!funcs[a.fn].boolean) {
            note(c, C_REF,
                 "The function is not allowed to be used this way in an expression; function: %s",
                 funcs[a.fn].name);
            return 0;
        }
        if (c->kind == RS_DDBX_KEY) {
            if (a.fn != F_BEGINS)
                key_op(c, funcs[a.fn].name);
            else if (a.arg0) {
                a.kind = 0; /* begins_with(key, :v): the key side */
                key_cond(c, &a, NULL);
            } else {
                key_cond(c, &a, NULL);
            }
        }
        return 0;
    }
    if (t->t == T_CMP) {
        count_operator(c);
        char op[4];
        snprintf(op, sizeof(op), "%.*s", (int)(t->e - t->s), c->x + t->s);
        c->i++;
        if (parse_operand(c, &b, 0) != 0)
            return -1;
        const opnd_t *fs[2] = {&a, &b};
        for (int k = 0; k < 2; k++)
            if (fs[k]->kind == 2 && fs[k]->fn != F_UNKNOWN && funcs[fs[k]->fn].boolean)
                note(c, C_REF,
                     "The function is not allowed to be used this way in an expression; function: "
                     "%s",
                     funcs[fs[k]->fn].name);
        if (op[0] == '<' || op[0] == '>') {
            if (strcmp(op, "<>") != 0) {
                operand_type(c, op, &a, ",S,N,B,");
                operand_type(c, op, &b, ",S,N,B,");
            }
        }
        distinct(c, op, &a, &b);
        if (strcmp(op, "<>") == 0)
            key_op(c, op);
        else
            key_cond(c, &a, &b);
        return 0;
    }
    if (a.kind == 2 && a.fn != F_UNKNOWN && funcs[a.fn].boolean)
        note(c, C_REF,
             "The function is not allowed to be used this way in an expression; function: %s",
             funcs[a.fn].name);
    if (is_kw(c, t, "BETWEEN")) {
        count_operator(c);
        c->i++;
        if (parse_operand(c, &b, 0) != 0)
            return -1;
        if (!is_kw(c, cur(c), "AND"))
            return syntax(c);
        c->i++;
        if (parse_operand(c, &d, 0) != 0)
            return -1;
        operand_type(c, "BETWEEN", &a, ",S,N,B,");
        operand_type(c, "BETWEEN", &b, ",S,N,B,");
        operand_type(c, "BETWEEN", &d, ",S,N,B,");
        between_bounds(c, &b, &d);
        distinct(c, "BETWEEN", &a, &b);
        distinct(c, "BETWEEN", &a, &d);
        key_cond(c, &a, NULL);
        return 0;
    }
    if (is_kw(c, t, "IN")) {
        count_operator(c);
        c->i++;
        key_op(c, "IN");
        if (expect(c, T_LP) != 0)
            return -1;
        int n = 0;
        for (;;) {
            if (parse_operand(c, &b, 0) != 0)
                return -1;
            if (++n == 101)
                note(c, C_REF,
                     "The IN operator is provided with too many operands; number of operands: %d",
                     n);
            distinct(c, "IN", &a, &b);
            if (cur(c)->t == T_COMMA) {
                c->i++;
                continue;
            }
            break;
        }
        return expect(c, T_RP);
    }
    return syntax(c);
}

static int parse_not(xctx_t *c)
{
    if (is_kw(c, cur(c), "NOT")) {
        count_operator(c);
        key_op(c, "NOT");
        c->i++;
        return parse_not(c) < 0 ? -1 : 0;
    }
    return parse_primary(c);
}

static int parse_and(xctx_t *c)
{
    int r = parse_not(c);
    while (r >= 0 && is_kw(c, cur(c), "AND")) {
        count_operator(c);
        c->i++;
        r = parse_not(c) < 0 ? -1 : 0;
    }
    return r;
}

static int parse_or(xctx_t *c)
{
    int r = parse_and(c);
    while (r >= 0 && is_kw(c, cur(c), "OR")) {
        count_operator(c);
        key_op(c, "OR");
        c->i++;
        r = parse_and(c) < 0 ? -1 : 0;
    }
    return r;
}

/* ---- paths written (update, projection): overlap and conflict -------------------- */

static void overlap(xctx_t *c, const opnd_t *o)
{
    const char *q = o->path;
    size_t ql = strlen(q);
    for (int i = 0; i < c->npaths; i++) {
        const char *p = c->pool + c->poff[i];
        size_t pl = strlen(p);
        /* common elements */
        size_t k = 0, last = 0;
        while (k < pl && k < ql && p[k] == q[k]) {
            if (p[k] == '\x1f')
                last = k + 1;
            k++;
        }
        int pe = k == pl || p[k] == '\x1f', qe = k == ql || q[k] == '\x1f';
        const char *what = NULL;
        if (pe && qe && (k == pl || k == ql))
            what = "overlap";
        else if (!(pe && qe) && k >= last && (p[last] == '[') != (q[last] == '['))
            what = "conflict";
        if (what != NULL) {
            char a[PATH_TXT + 64], b[PATH_TXT + 64];
            printed(p, a, sizeof(a));
            printed(q, b, sizeof(b));
            note(c, C_OVERLAP,
                 "Two document paths %s with each other; must remove or rewrite one of these "
                 "paths; path one: [%.200s], path two: [%.200s]",
                 what, a, b);
            return;
        }
    }
    if (c->npaths < MAX_PATHS && c->pool_len + ql + 1 <= POOL) {
        c->poff[c->npaths++] = (uint32_t)c->pool_len;
        memcpy(c->pool + c->pool_len, q, ql + 1);
        c->pool_len += ql + 1;
    }
}

static int parse_projection(xctx_t *c)
{
    opnd_t o;
    for (;;) {
        if (parse_path(c, &o) != 0)
            return -1;
        overlap(c, &o);
        if (cur(c)->t != T_COMMA)
            return 0;
        c->i++;
    }
}

/* ---- update ---------------------------------------------------------------------- */

static int parse_set_value(xctx_t *c);

static int parse_set_operand(xctx_t *c)
{
    opnd_t o;
    if (cur(c)->t == T_LP) {
        c->i++;
        if (++c->nest > MAX_NEST)
            return syntax(c);
        if (parse_set_value(c) != 0 || expect(c, T_RP) != 0)
            return -1;
        c->nest--;
        return 0;
    }
    if (parse_operand(c, &o, 1) != 0)
        return -1;
    if (o.kind == 2 && o.fn != F_UNKNOWN && funcs[o.fn].boolean)
        note(c, C_WORD, "The function is not allowed in an update expression; function: %s",
             funcs[o.fn].name);
    return 0;
}

static int parse_set_value(xctx_t *c)
{
    if (parse_set_operand(c) != 0)
        return -1;
    if (cur(c)->t == T_PLUS || cur(c)->t == T_MINUS) {
        c->i++;
        return parse_set_operand(c);
    }
    return 0;
}

/* ADD takes a number or a set, DELETE a set */
static void add_delete_type(xctx_t *c, const char *op, const opnd_t *v)
{
    static const struct {
        const char *t, *word;
    } words[] = {{"S", "STRING"},  {"N", "NUMBER"}, {"B", "BINARY"}, {"BOOL", "BOOLEAN"},
                 {"NULL", "NULL"}, {"L", "LIST"},   {"M", "MAP"}};
    if (v->kind != 1 || v->vtype[0] == '\0')
        return;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(v->vtype, words[i].t) == 0 &&
            !(op[0] == 'A' && v->vtype[0] == 'N' && v->vtype[1] == '\0')) {
            note(c, op[0] == 'A' ? C_ADD : C_REF,
                 "Incorrect operand type for operator or function; operator: %s, operand type: "
                 "%s, typeSet: ALLOWED_FOR_%s_OPERAND",
                 op, words[i].word, op);
            return;
        }
}

static int parse_update(xctx_t *c)
{
    static const char *const clauses[] = {"SET", "REMOVE", "ADD", "DELETE"};
    static const unsigned bits[] = {RS_DDBX_SET, RS_DDBX_REMOVE, RS_DDBX_ADD, RS_DDBX_DELETE};
    unsigned seen = 0;
    do {
        int k;
        for (k = 0; k < 4; k++)
            if (is_kw(c, cur(c), clauses[k]))
                break;
        if (k == 4)
            return syntax(c);
        if (seen & (1u << k)) {
            note(c, C_STRUCT, "The \"%s\" section can only be used once in an update expression;",
                 clauses[k]);
        }
        seen |= 1u << k;
        c->i++;
        if (c->fn != NULL)
            c->fn(c->arg, bits[k], NULL, 0);
        for (;;) {
            opnd_t o;
            c->lhs = 1;
            int pr = parse_path(c, &o);
            c->lhs = 0;
            if (pr != 0)
                return -1;
            if (k == 0) {
                const tok_t *eq = cur(c);
                if (eq->t != T_CMP || eq->e - eq->s != 1 || c->x[eq->s] != '=')
                    return syntax(c);
                c->i++;
                if (parse_set_value(c) != 0)
                    return -1;
            } else if (k >= 2) {
                opnd_t v;
                if (cur(c)->t != T_COLON)
                    return syntax(c);
                if (parse_operand(c, &v, 1) != 0)
                    return -1;
                add_delete_type(c, k == 2 ? "ADD" : "DELETE", &v);
            }
            overlap(c, &o);
            if (c->fn != NULL)
                c->fn(c->arg, bits[k], o.path, o.depth);
            if (cur(c)->t != T_COMMA)
                break;
            c->i++;
        }
    } while (cur(c)->t != T_EOF);
    return 0;
}

/* ---- entry ----------------------------------------------------------------------- */

static void syntax_msg(xctx_t *c, char *out, size_t cap)
{
    const tok_t *t = cur(c);
    size_t i = c->i < c->nt ? c->i : c->nt - 1;
    size_t from = i > 0 ? c->tok[i - 1].s : t->s;
    size_t to;
    if (t->t == T_EOF) {
        to = c->n;
        snprintf(out, cap, "Syntax error; token: \"<EOF>\", near: \"%.*s\"", (int)(to - from),
                 c->x + from);
        return;
    }
    to = (i + 1 < c->nt && c->tok[i + 1].t != T_EOF) ? c->tok[i + 1].e : t->e;
    snprintf(out, cap, "Syntax error; token: \"%.*s\", near: \"%.*s\"", (int)(t->e - t->s),
             c->x + t->s, (int)(to - from), c->x + from);
}

static void setup(xctx_t *c, rs_ddbx_kind_t kind, const char *expr, size_t len,
                  rs_ddbx_refs_t *refs)
{
    c->x = expr;
    c->n = len;
    c->i = 0;
    c->kind = kind;
    c->refs = refs;
    c->syntax = 0;
    c->nest = 0;
    c->pool_len = 0;
    c->npaths = 0;
    c->nkeys = 0;
    c->key_defer = 0;
    c->lhs = 0;
    c->operators = 0;
    c->fn = NULL;
    c->arg = NULL;
    for (int k = 0; k < C_N; k++)
        c->err[k][0] = '\0';
    lex(c);
}

int rs_ddbx_update_actions(const char *expr, size_t len, rs_ddbx_refs_t *refs, rs_ddbx_action_fn fn,
                           void *arg)
{
    static __thread xctx_t ctx;
    xctx_t *c = &ctx;
    if (len > MAX_EXPR)
        return 1;
    setup(c, RS_DDBX_UPDATE, expr, len, refs);
    c->fn = fn;
    c->arg = arg;
    if (c->tok[0].t == T_EOF)
        return 0;
    int r = parse_update(c);
    return r < 0 || c->syntax || cur(c)->t != T_EOF ? 1 : 0;
}

int rs_ddbx_check(rs_ddbx_kind_t kind, const char *expr, size_t len, rs_ddbx_refs_t *refs,
                  char *msg, size_t cap)
{
    static const char *const kinds[] = {"Condition", "Filter", "KeyCondition", "Projection",
                                        "Update"};
    static __thread xctx_t ctx;
    xctx_t *c = &ctx;
    char body[MSG + 100];
    if (len > MAX_EXPR) {
        /* the size is printed for the condition grammars only (observed) */
        if (kind == RS_DDBX_UPDATE || kind == RS_DDBX_PROJECTION)
            snprintf(msg, cap,
                     "Invalid %sExpression: Expression size has exceeded the maximum allowed "
                     "size;",
                     kinds[kind]);
        else
            snprintf(msg, cap,
                     "Invalid %sExpression: Expression size has exceeded the maximum allowed "
                     "size; expression size: %zu",
                     kinds[kind], len);
        return 1;
    }
    setup(c, kind, expr, len, refs);
    if (c->tok[0].t == T_EOF) {
        snprintf(msg, cap, "Invalid %sExpression: The expression can not be empty;", kinds[kind]);
        return 1;
    }
    int r;
    switch (kind) {
    case RS_DDBX_UPDATE:
        r = parse_update(c);
        break;
    case RS_DDBX_PROJECTION:
        r = parse_projection(c);
        break;
    default:
        r = parse_or(c);
        break;
    }
    if (r >= 0 && cur(c)->t != T_EOF)
        r = syntax(c);
    if (c->syntax) {
        syntax_msg(c, body, sizeof(body));
        snprintf(msg, cap, "Invalid %sExpression: %s", kinds[kind], body);
        return 1;
    }
    for (int k = 0; k < C_N; k++) {
        if (c->err[k][0] == '\0')
            continue;
        if (k == C_KEY || k == C_KEYN)
            snprintf(msg, cap, "%s", c->err[k]);
        else
            snprintf(msg, cap, "Invalid %sExpression: %s", kinds[kind], c->err[k]);
        return 1;
    }
    return 0;
}
