#!/bin/sh
# check-layers.sh: the include graph points one way. Reads every #include "..." in src/
# and include/, maps each file to its layer folder and fails on an edge that points to a
# higher layer or a cycle between folders of the same layer. Prints TAP; every violation
# is a diagnostic line "file:line: from-folder -> to-folder (header)".
# Run by `make check` (tests/unit/local.am); RS_SRCDIR or the script's location finds the tree.
#
# Layers, bottom to top (a file may include its own layer and lower ones):
#   0 os          the OS layer (rs/os.h) and the result codes (rs/err.h)
#   1 core        buffers, pools, codecs, conf, log, metrics, status, children
#   2 shm         the shared region: ABI header, slot table, robust locks, crash points
#   3 store       the S3 object store inside the region
#   4 auth        SigV4 / SigV2
#   5 ipc         framed worker <-> supervisor protocol
#   6 s3 proto    protocol modules (S3; shared error and route tables, the router)
#   7 http        the h2o workers
#   8 docker ddb lambda   the supervisors (docker is the engine client lambda uses)
#   9 proc        the master
#  10 main        src/main.c
# Within a layer, folders may include each other but never in a cycle.

top=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 1

# layer of a folder (src/<folder>) or of a file at the top of src/
rank_of() {
    case "$1" in
    os) echo 0 ;; core) echo 1 ;; shm) echo 2 ;; store) echo 3 ;; auth) echo 4 ;;
    ipc) echo 5 ;; s3 | proto) echo 6 ;; http) echo 7 ;; docker | ddb | lambda) echo 8 ;;
    proc) echo 9 ;; main) echo 10 ;; *) echo "" ;;
    esac
}

# folder a public header belongs to: the folder of the .c files that implement it
header_folder() {
    case "$1" in
    os.h | err.h) echo os ;;
    child.h | codec.h | conf.h | http.h | log.h | metrics.h | status.h) echo core ;;
    store.h | store_mpu.h) echo store ;;
    sigv4.h) echo auth ;;
    ipc.h) echo ipc ;;
    s3.h | s3_error.h | s3_range.h | awschunked.h | checksum.h | xml.h) echo s3 ;;
    cred.h) echo core ;; # the credential type every service uses (no .c)
    ddb_errors.h | ddb_validate.h | lambda_errors.h | apigw_errors.h | apigw.h | router.h)
        echo proto ;;
    docker.h) echo docker ;;
    *) # not listed: the folder of the one src/*/<name>.c, else no layer (a failure)
        c=$(ls src/*/"${1%.h}.c" 2>/dev/null)
        [ "$(echo "$c" | wc -w)" -eq 1 ] && folder_of "$c" ;;
    esac
}

# folder of a tree path (src/x/..., include/rs/...)
folder_of() {
    case "$1" in
    src/main.c) echo main ;;
    src/*/*) p=${1#src/}; echo "${p%%/*}" ;;
    include/rs/*) header_folder "${1#include/rs/}" ;;
    *) echo "" ;;
    esac
}

edges=$(mktemp)
bad=$(mktemp)
trap 'rm -f "$edges" "$bad"' EXIT

find src include -name '*.[ch]' | sort | while read -r f; do
    from=$(folder_of "$f")
    if [ -z "$from" ]; then
        echo "$f:0: file in no layer (add it to check-layers.sh)" >>"$bad"
        continue
    fi
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
        no=${line%%:*}
        inc=$(echo "$line" | sed 's/^[^"]*"\([^"]*\)".*/\1/')
        case "$inc" in
        */*) if [ -e "src/$inc" ]; then t="src/$inc"; elif [ -e "include/$inc" ]; then t="include/$inc"; else continue; fi ;;
        *) t="$(dirname "$f")/$inc"; [ -e "$t" ] || continue ;;
        esac
        to=$(folder_of "$t")
        if [ -z "$to" ]; then
            echo "$f:$no: includes $inc, a header in no layer (add it to check-layers.sh)" >>"$bad"
            continue
        fi
        [ "$from" = "$to" ] && continue
        rf=$(rank_of "$from")
        rt=$(rank_of "$to")
        if [ -z "$rf" ] || [ -z "$rt" ]; then
            echo "$f:$no: folder $from or $to has no layer (add it to check-layers.sh)" >>"$bad"
        elif [ "$rt" -gt "$rf" ]; then
            echo "$f:$no: $from -> $to ($inc): points up" >>"$bad"
        else
            echo "$from $to $f:$no" >>"$edges"
        fi
    done
done

# cycles among folders (only same-layer edges can close one once nothing points up)
cycles=$(awk '
    { if (!(($1 SUBSEP $2) in seen)) { seen[$1 SUBSEP $2] = $3; adj[$1] = adj[$1] " " $2 } nodes[$1]; nodes[$2] }
    function dfs(n, path,   i, k, m, a) {
        state[n] = 1
        k = split(adj[n], a, " ")
        for (i = 1; i <= k; i++) {
            m = a[i]
            if (state[m] == 1) { print "cycle: " path " -> " m " (" seen[n SUBSEP m] ")" }
            else if (state[m] == 0) dfs(m, path " -> " m)
        }
        state[n] = 2
    }
    END { for (n in nodes) if (state[n] == 0) dfs(n, n) }
' "$edges")

echo "1..2"
if [ -s "$bad" ]; then
    echo "not ok 1 - every include points down the layers"
    sed 's/^/# /' "$bad"
else
    echo "ok 1 - every include points down the layers"
fi
if [ -n "$cycles" ]; then
    echo "not ok 2 - no cycle between folders"
    echo "$cycles" | sed 's/^/# /'
else
    echo "ok 2 - no cycle between folders"
fi
[ ! -s "$bad" ] && [ -z "$cycles" ]
