/*
 * lambda_registry.h: private to src/lambda: the function registry (lambda_registry.c) and
 * the code-directory use table behind rs_lambda_fn_unref.
 * Runs in: the lambda supervisor.
 *
 * Code directories: every revision with new code gets a fresh directory under the code
 * root; a configuration-only update publishes a new rs_lambda_fn_t that names the SAME
 * directory. Each rs_lambda_fn_t built by rs_lambda_fn_new with a code_dir holds one use
 * of that directory in a process-wide table; the last unref of an rs_lambda_fn_t drops its
 * use, and the directory is removed recursively when no revision uses it any more (so an
 * environment still running an old revision keeps its code until it is done, and a
 * configuration-only update never loses the code). A directory that the table does not
 * know (an rs_lambda_fn_t built by hand, e.g. in a test) is never removed.
 */
#ifndef RS_LAMBDA_REGISTRY_H
#define RS_LAMBDA_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lambda/lambda_int.h"

/* A new revision with refs = 1, zeroed; when code_dir is non-NULL it is copied and its use
 * is counted. NULL on ENOMEM or a too long path. */
/* hot: code_dir is a hot-reload directory (the user's: watched with rs_lambda_hot_watch
 * while the revision lives, never removed) */
rs_lambda_fn_t *rs_lambda_fn_new(const char *code_dir, int hot);

/* The uploaded zip of a code directory is kept next to it as <code_dir>.zip (GetFunction's
 * Code.Location serves it). Remove both. */
void rs_lambda_code_discard(const char *code_dir);

/* How many revisions use this code directory (for tests). */
int rs_lambda_codedir_uses(const char *code_dir);

/* ---- the registry --------------------------------------------------------------------
 * Functions keyed by (account, region, name). Each holds its FunctionConfiguration as JSON
 * (FunctionName, FunctionArn, Runtime, Role, Handler, CodeSize, Description, Timeout,
 * MemorySize, LastModified, CodeSha256, Version, RevisionId, Environment, Architectures,
 * EphemeralStorage, ...: everything but the State fields the API adds), its code
 * directory (relative to the code root: "code/<uuid>") and its published revision
 * (rs_lambda_fn_t). Every change is written to <root>/registry.json (temp file, fsync,
 * rename, fsync of the directory) before it is acknowledged; a change that cannot be
 * written is undone and reported as RS_ERR. */

typedef struct rs_lambda_reg rs_lambda_reg_t;

/* Open the registry under `root` (created 0700 when missing). `wipe`: remove everything
 * under root first. Otherwise registry.json is loaded and code directories it does not
 * name are removed (left over from a crash). 0, RS_ERR (errno) or RS_EINVAL (corrupt
 * file: it is kept as registry.json.corrupt and the registry starts empty). */
int rs_lambda_reg_open(const char *root, int wipe, rs_lambda_reg_t **out);
void rs_lambda_reg_close(rs_lambda_reg_t *r);
const char *rs_lambda_reg_root(const rs_lambda_reg_t *r);

/* A fresh code directory path for an upload: <root>/code/<uuid> (not created). */
void rs_lambda_reg_new_code_dir(const rs_lambda_reg_t *r, char *out, size_t outlen);

/* Per-account quotas of a shared box (0 = unlimited), counted per (account, region) from
 * the registry itself (so they survive a restart and a reset releases them): a create
 * past `max_functions` is RS_EQUOTA, one whose CodeSize would take the sum past
 * `max_code_bytes` is RS_ENOSPC. */
void rs_lambda_reg_set_quota(rs_lambda_reg_t *r, uint32_t max_functions, uint64_t max_code_bytes);

/* Add a function; takes `cfg` (always). `code_dir`: absolute path under the root.
 * 0, RS_EEXIST, RS_EQUOTA, RS_ENOSPC (quotas above), RS_ENOMEM, RS_EINVAL (code_dir not under
 * root), RS_ERR (not persisted). */
int rs_lambda_reg_create(rs_lambda_reg_t *r, const char *account, const char *region,
                         const char *name, json_object *cfg, const char *code_dir);
/* The same; with `hot` code_dir is a hot-reload directory (absolute, anywhere: the caller
 * checked it against lambda_hot_reload_roots), recorded as is and never removed. */
int rs_lambda_reg_create_code(rs_lambda_reg_t *r, const char *account, const char *region,
                              const char *name, json_object *cfg, const char *code_dir, int hot);

/* A deep copy of the configuration (caller puts it) and, when fn_out is non-NULL, a
 * reference to the current revision (caller unrefs). 0 or RS_ENOENT. */
int rs_lambda_reg_get(rs_lambda_reg_t *r, const char *account, const char *region, const char *name,
                      json_object **cfg_out, rs_lambda_fn_t **fn_out);

/* Change a function under the registry lock: `fn` gets a deep copy of the configuration
 * to edit in place and returns 0 to commit or an error to abort (returned as is).
 * `new_code_dir` non-NULL replaces the code directory (new code), else the revision keeps
 * the current one. On commit a new revision is published and a copy of the committed
 * configuration is returned in cfg_out (optional). RS_ENOENT when missing. */
typedef int (*rs_lambda_reg_edit_fn)(json_object *cfg, void *arg);
int rs_lambda_reg_update(rs_lambda_reg_t *r, const char *account, const char *region,
                         const char *name, rs_lambda_reg_edit_fn fn, void *arg,
                         const char *new_code_dir, json_object **cfg_out);
/* The same; with `hot` new_code_dir is a hot-reload directory (see create_code). New code
 * whose CodeSize would take (account, region) past the code quota: RS_ENOSPC. */
int rs_lambda_reg_update_code(rs_lambda_reg_t *r, const char *account, const char *region,
                              const char *name, rs_lambda_reg_edit_fn fn, void *arg,
                              const char *new_code_dir, int hot, json_object **cfg_out);

/* Remove a function. 0, RS_ENOENT, RS_ERR (not persisted: nothing removed). */
int rs_lambda_reg_delete(rs_lambda_reg_t *r, const char *account, const char *region,
                         const char *name);

/* Up to `max` configurations (deep copies appended to `arr`) of (account, region) in name
 * order after `marker` (a function name; NULL or "" = from the start). *more is 1 when
 * further functions follow the last one returned. */
int rs_lambda_reg_list(rs_lambda_reg_t *r, const char *account, const char *region,
                       const char *marker, size_t max, json_object *arr, int *more);

/* Remove every function of `account` (all regions) in one persisted change; each one
 * removed is appended to `removed` as {"region": ..., "name": ...}. 0, RS_ENOMEM, RS_ERR
 * (not persisted: nothing removed). */
int rs_lambda_reg_delete_account(rs_lambda_reg_t *r, const char *account, json_object *removed);
/* Number of functions (all accounts and regions). */
size_t rs_lambda_reg_count(rs_lambda_reg_t *r);

#endif
