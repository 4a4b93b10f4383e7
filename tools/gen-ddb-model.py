#!/usr/bin/env python3
"""tools/gen-ddb-model.py: writes src/proto/ddb_model.c, the DynamoDB input-shape tables the
request validator (src/proto/ddb_validate.c) walks, from the service model botocore ships
(data/dynamodb/2012-08-10/service-2.json(.gz)).

  python3 tools/gen-ddb-model.py            write src/proto/ddb_model.c
  python3 tools/gen-ddb-model.py --check    exit 1 when the committed file differs from
                                            what the installed botocore gives (make check
                                            runs this through tests/unit/check-ddb-model.sh)

Only input shapes (reachable from an operation's input) are emitted. Enum value sets are
stored in the order AWS prints them where it is recorded (AWS_ENUM_ORDER), else in the
model's order. Patterns: only the model's
"[a-zA-Z0-9_.-]+" is enforced (RS_DDBM_PAT_NAME); the others are listed in the banner and
not enforced. Runs in: the developer's machine (the committed output is built)."""
import gzip
import json
import os
import sys

import botocore

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "src", "proto", "ddb_model.c")
TYPES = {"structure": "STRUCT", "list": "LIST", "map": "MAP", "string": "STRING",
         "integer": "INTEGER", "long": "LONG", "boolean": "BOOLEAN", "blob": "BLOB",
         "timestamp": "TIMESTAMP", "double": "DOUBLE"}
NAME_PATTERN = "[a-zA-Z0-9_.-]+"


def load():
    base = os.path.join(os.path.dirname(botocore.__file__), "data", "dynamodb", "2012-08-10",
                        "service-2.json")
    if os.path.exists(base + ".gz"):
        with gzip.open(base + ".gz") as f:
            return json.load(f)
    with open(base) as f:
        return json.load(f)


# The order AWS prints an enum value set in ("Member must satisfy enum value set: [...]")
# is not the model's; these are the orders recorded from AWS (reference/dynamodb.md section
# 3 and the recorded errors). Other enums print in the model's order. An entry whose values
# no longer equal the model's set is ignored (the model wins).
AWS_ENUM_ORDER = {
    "Select": ["SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"],
    "ReturnConsumedCapacity": ["INDEXES", "TOTAL", "NONE"],
    "ReturnItemCollectionMetrics": ["SIZE", "NONE"],
    "ReturnValue": ["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"],
    "ConditionalOperator": ["OR", "AND"],
    "KeyType": ["HASH", "RANGE"],
    "ScalarAttributeType": ["B", "N", "S"],
    "BillingMode": ["PROVISIONED", "PAY_PER_REQUEST"],
    "ProjectionType": ["ALL", "INCLUDE", "KEYS_ONLY"],
    "ComparisonOperator": ["IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT",
                           "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS"],
    "ApproximateCreationDateTimePrecision": ["MILLISECOND", "MICROSECOND"],
}


def enum_order(name, values):
    aws = AWS_ENUM_ORDER.get(name)
    if aws is not None and sorted(aws) == sorted(values):
        return aws
    return list(values)


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(model):
    shapes = model["shapes"]
    ops = sorted((name, op["input"]["shape"]) for name, op in model["operations"].items()
                 if "input" in op)
    # input shapes reachable from the operations, numbered in discovery order
    index, order = {}, []

    def visit(name):
        if name in index:
            return
        index[name] = len(order)
        order.append(name)
        s = shapes[name]
        if s["type"] == "structure":
            for m in s["members"].values():
                visit(m["shape"])
        elif s["type"] == "list":
            visit(s["member"]["shape"])
        elif s["type"] == "map":
            visit(s["key"]["shape"])
            visit(s["value"]["shape"])

    for _, inp in ops:
        visit(inp)
    members, enums, rows, unenforced = [], [], [], set()
    for name in order:
        s = shapes[name]
        t = TYPES[s["type"]]
        flags = []
        if "min" in s:
            flags.append("RS_DDBM_HAS_MIN")
        if "max" in s:
            flags.append("RS_DDBM_HAS_MAX")
        if name == "TableArn":
            flags.append("RS_DDBM_TABLE_ARN")
        if "pattern" in s:
            if s["pattern"] == NAME_PATTERN:
                flags.append("RS_DDBM_PAT_NAME")
            else:
                unenforced.add((name, s["pattern"]))
        n = first = key = 0
        if s["type"] == "structure":
            req = set(s.get("required", []))
            n, first = len(s["members"]), len(members)
            if n > 64:
                raise SystemExit("%s: more than 64 members (the validator's bitmap)" % name)
            for mname, m in s["members"].items():
                members.append((mname, index[m["shape"]], mname in req))
        elif s["type"] == "list":
            first = index[s["member"]["shape"]]
        elif s["type"] == "map":
            key, first = index[s["key"]["shape"]], index[s["value"]["shape"]]
        elif "enum" in s:
            flags.append("RS_DDBM_ENUM")
            vals = enum_order(name, s["enum"])
            n, first = len(vals), len(enums)
            enums.extend(vals)
        rows.append((name, t, "|".join(flags) or "0", n, first, key,
                     int(s.get("min", 0)), int(s.get("max", 0))))
    out = []
    w = out.append
    w("// clang-format off")
    w("/*")
    w(" * ddb_model.c: GENERATED by tools/gen-ddb-model.py from botocore %s's" % botocore.__version__)
    w(" * data/dynamodb/2012-08-10/service-2.json; do not edit (run the generator; make check")
    w(" * fails when this file and the installed botocore disagree).")
    w(" * The input shapes of the DynamoDB operations for the request validator")
    w(" * (rs/ddb_validate.h): %d operations, %d shapes, %d members, %d enum values."
      % (len(ops), len(rows), len(members), len(enums)))
    w(" * Patterns not enforced (only %s is):" % NAME_PATTERN)
    for sname, pat in sorted(unenforced):
        w(" *   %s: %s" % (sname, pat.replace("*/", "*\\/")))
    w(" * Runs in: workers (pure data).")
    w(" */")
    w('#include "config.h"')
    w("")
    w('#include "rs/ddb_validate.h"')
    w("")
    w("const rs_ddbm_member_t rs_ddbm_members[] = {")
    for mname, shp, req in members:
        w("    {%s, %d, %d}," % (c_str(mname), shp, 1 if req else 0))
    w("};")
    w("")
    w("const char *const rs_ddbm_enums[] = {")
    for v in enums:
        w("    %s," % c_str(v))
    w("};")
    w("")
    w("const rs_ddbm_shape_t rs_ddbm_shapes[] = {")
    for name, t, flags, n, first, key, mn, mx in rows:
        w("    {RS_DDBM_%s, %s, %d, %d, %d, %dLL, %dLL}, /* %s */"
          % (t, flags, n, first, key, mn, mx, name))
    w("};")
    w("")
    w("const rs_ddbm_op_t rs_ddbm_ops[] = {")
    for name, inp in ops:
        w("    {%s, %d}," % (c_str(name), index[inp]))
    w("};")
    w("")
    w("const size_t rs_ddbm_num_ops = sizeof(rs_ddbm_ops) / sizeof(rs_ddbm_ops[0]);")
    w("const size_t rs_ddbm_num_shapes = sizeof(rs_ddbm_shapes) / sizeof(rs_ddbm_shapes[0]);")
    return "\n".join(out) + "\n"


def main():
    text = generate(load())
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        with open(OUT) as f:
            if f.read() != text:
                sys.stderr.write("src/proto/ddb_model.c differs from what botocore %s gives: "
                                 "run python3 tools/gen-ddb-model.py\n" % botocore.__version__)
                return 1
        return 0
    with open(OUT, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
