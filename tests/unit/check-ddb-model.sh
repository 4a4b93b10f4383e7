#!/bin/sh
# check-ddb-model.sh: the committed src/proto/ddb_model.c is what tools/gen-ddb-model.py
# makes from the installed botocore (so the validator's tables and the model stay in step).
# Prints TAP; skipped when python3 or botocore is missing. Run by `make check`.
top=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c "import botocore" 2>/dev/null; then
    echo "1..0 # SKIP no python3 with botocore"
    exit 0
fi
echo "1..1"
if out=$(python3 "$top/tools/gen-ddb-model.py" --check 2>&1); then
    echo "ok 1 - src/proto/ddb_model.c matches botocore $(python3 -c \
        'import botocore; print(botocore.__version__)')"
else
    echo "$out" | sed 's/^/# /'
    echo "not ok 1 - src/proto/ddb_model.c differs from the installed botocore's model"
fi
