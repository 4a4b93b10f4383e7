"""DynamoDB item operations against AWS behaviour (reference/dynamodb.md §5, §9): every
expression kind (condition, update SET/REMOVE/ADD/DELETE with if_not_exists and
list_append, projection), ReturnValues, ReturnValuesOnConditionCheckFailure, and the
boto3 resource API's Key/Attr conditions. Runs in: the pytest process."""

from decimal import Decimal

import pytest
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from conftest import ddb_error


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 reset: DynamoDB tables have unique names and are dropped."""


@pytest.fixture
def table(ddb_resource, ddb_table):
    return ddb_resource.Table(ddb_table())


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def test_put_replaces_whole_item(table):
    table.put_item(Item={"pk": "a", "x": 1, "y": 2})
    table.put_item(Item={"pk": "a", "z": 3})
    assert table.get_item(Key={"pk": "a"})["Item"] == {"pk": "a", "z": 3}


def test_put_return_values_all_old(ddb, table):
    r = ddb.put_item(TableName=table.name, Item={"pk": S("a"), "v": N(1)}, ReturnValues="ALL_OLD")
    assert "Attributes" not in r
    r = ddb.put_item(TableName=table.name, Item={"pk": S("a"), "v": N(2)}, ReturnValues="ALL_OLD")
    assert r["Attributes"] == {"pk": S("a"), "v": N(1)}


def test_delete_item_return_values_and_missing(ddb, table):
    # deleting a missing item succeeds with {}
    r = ddb.delete_item(TableName=table.name, Key={"pk": S("nope")}, ReturnValues="ALL_OLD")
    assert "Attributes" not in r
    ddb.put_item(TableName=table.name, Item={"pk": S("a"), "v": S("old")})
    r = ddb.delete_item(TableName=table.name, Key={"pk": S("a")}, ReturnValues="ALL_OLD")
    assert r["Attributes"] == {"pk": S("a"), "v": S("old")}
    assert "Item" not in ddb.get_item(TableName=table.name, Key={"pk": S("a")})


def test_put_invalid_return_values(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table.name, Item={"pk": S("a")}, ReturnValues="ALL_NEW")
    assert ddb_error(e)[:2] == ("ValidationException", "ReturnValues can only be ALL_OLD or NONE")


def test_condition_functions_and_operators(ddb, table):
    table.put_item(Item={"pk": "a", "n": 5, "s": "hello world", "tags": {"x", "y"},
                         "l": [1, "two"], "m": {"k": "v"}, "flag": True})
    ok = [
        ("attribute_exists(n)", {}),
        ("attribute_not_exists(absent)", {}),
        ("attribute_type(s, :t)", {":t": S("S")}),
        ("begins_with(s, :p)", {":p": S("hell")}),
        ("contains(s, :p)", {":p": S("o w")}),
        ("contains(tags, :p)", {":p": S("x")}),
        ("contains(l, :p)", {":p": S("two")}),
        ("size(s) = :n", {":n": N(11)}),
        ("size(tags) > :n", {":n": N(1)}),
        ("n BETWEEN :a AND :b", {":a": N(5), ":b": N(6)}),
        ("n IN (:a, :b)", {":a": N(4), ":b": N(5)}),
        ("n <> :a AND NOT n < :b", {":a": N(4), ":b": N(5)}),
        ("n = :a OR n = :b AND n = :c", {":a": N(5), ":b": N(1), ":c": N(2)}),
        ("m.k = :v", {":v": S("v")}),
        ("l[1] = :v", {":v": S("two")}),
        ("absent <> :v", {":v": S("x")}),
        ("flag = :t", {":t": {"BOOL": True}}),
    ]
    for expr, vals in ok:
        kw = dict(TableName=table.name, Key={"pk": S("a")}, ConditionExpression=expr,
                  UpdateExpression="SET touched = :one",
                  ExpressionAttributeValues=dict(vals, **{":one": N(1)}))
        ddb.update_item(**kw)
    bad = [
        ("attribute_exists(absent)", {}),
        ("absent = :v", {":v": S("x")}),
        ("n > :v", {":v": N(5)}),
        ("n < :v", {":v": S("a")}),  # different types: false, no error
        ("contains(m, :v)", {":v": S("k")}),
        ("NOT (n = :v)", {":v": N(5)}),
    ]
    for expr, vals in bad:
        with pytest.raises(ClientError) as e:
            ddb.update_item(TableName=table.name, Key={"pk": S("a")}, ConditionExpression=expr,
                            UpdateExpression="SET touched = :two",
                            ExpressionAttributeValues=dict(vals, **{":two": N(2)}))
        assert ddb_error(e)[0] == "ConditionalCheckFailedException", expr
    assert table.get_item(Key={"pk": "a"})["Item"]["touched"] == 1


def test_condition_on_absent_item(ddb, table):
    # a absent item is an empty item: <> is true, = is false; nothing ghost-created
    ddb.put_item(TableName=table.name, Item={"pk": S("new")},
                 ConditionExpression="pk <> :v", ExpressionAttributeValues={":v": S("new")})
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=table.name, Key={"pk": S("ghost")},
                        UpdateExpression="SET v = :v", ConditionExpression="attribute_exists(pk)",
                        ExpressionAttributeValues={":v": S("x")})
    assert ddb_error(e)[0] == "ConditionalCheckFailedException"
    assert "Item" not in ddb.get_item(TableName=table.name, Key={"pk": S("ghost")})


def test_return_values_on_condition_check_failure(ddb, table):
    ddb.put_item(TableName=table.name, Item={"pk": S("a"), "v": N(1), "name": S("x")})
    for op, kw in (
            ("put_item", {"Item": {"pk": S("a"), "v": N(9)}}),
            ("update_item", {"Key": {"pk": S("a")}, "UpdateExpression": "SET v = :nine"}),
            ("delete_item", {"Key": {"pk": S("a")}})):
        vals = {":two": N(2)}
        if op == "update_item":
            vals[":nine"] = N(9)
        with pytest.raises(ClientError) as e:
            getattr(ddb, op)(TableName=table.name, ConditionExpression="v = :two",
                             ExpressionAttributeValues=vals,
                             ReturnValuesOnConditionCheckFailure="ALL_OLD", **kw)
        code, msg, resp = ddb_error(e)
        assert code == "ConditionalCheckFailedException", op
        assert msg == "The conditional request failed"
        assert resp["Item"] == {"pk": S("a"), "v": N(1), "name": S("x")}, op
    # item absent: no Item in the error
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table.name, Item={"pk": S("b")},
                     ConditionExpression="attribute_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert "Item" not in ddb_error(e)[2]
    # NONE: no Item either
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table.name, Item={"pk": S("a")},
                     ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="NONE")
    assert "Item" not in ddb_error(e)[2]


def test_update_set_arithmetic_and_functions(table):
    table.put_item(Item={"pk": "a", "n": 10, "l": [1]})
    r = table.update_item(
        Key={"pk": "a"},
        UpdateExpression="SET n = n - :three, l = list_append(l, :more), "
                         "c = if_not_exists(c, :zero) + :one, "
                         "h = list_append(if_not_exists(h, :empty), :more), f = :f",
        ExpressionAttributeValues={":three": 3, ":more": [2, 3], ":zero": 0, ":one": 1,
                                   ":empty": [], ":f": Decimal("1.50")},
        ReturnValues="ALL_NEW")
    assert r["Attributes"] == {"pk": "a", "n": 7, "l": [1, 2, 3], "c": 1, "h": [2, 3],
                               "f": Decimal("1.5")}
    # if_not_exists keeps an existing value; list_append with the new list first prepends
    r = table.update_item(Key={"pk": "a"},
                          UpdateExpression="SET c = if_not_exists(c, :z), l = list_append(:p, l)",
                          ExpressionAttributeValues={":z": 100, ":p": [0]},
                          ReturnValues="UPDATED_NEW")
    assert r["Attributes"] == {"c": 1, "l": [0, 1, 2, 3]}


def test_update_nested_paths(table):
    table.put_item(Item={"pk": "a", "m": {"inr": {"x": 1}, "list": [10, 20, 30]}})
    table.update_item(Key={"pk": "a"},
                      UpdateExpression="SET m.inr.y = :y, m.#l[1] = :v, m.#l[99] = :end "
                                       "REMOVE m.inr.x",
                      ExpressionAttributeNames={"#l": "list"},
                      ExpressionAttributeValues={":y": "why", ":v": 21, ":end": 40})
    assert table.get_item(Key={"pk": "a"})["Item"]["m"] == {
        "inr": {"y": "why"}, "list": [10, 21, 30, 40]}
    with pytest.raises(ClientError) as e:
        table.update_item(Key={"pk": "a"}, UpdateExpression="SET nope.x = :v",
                          ExpressionAttributeValues={":v": 1})
    assert ddb_error(e)[:2] == (
        "ValidationException",
        "The document path provided in the update expression is invalid for update")


def test_update_remove_add_delete(table):
    table.put_item(Item={"pk": "a", "gone": "x", "ns": {1, 2, 3}, "ss": {"a", "b"}, "cnt": 5})
    r = table.update_item(
        Key={"pk": "a"},
        UpdateExpression="REMOVE gone, never ADD cnt :two, newcnt :two, ns :ns4 "
                         "DELETE ss :sa",
        ExpressionAttributeValues={":two": 2, ":ns4": {4}, ":sa": {"a"}},
        ReturnValues="ALL_NEW")
    assert r["Attributes"] == {"pk": "a", "ns": {1, 2, 3, 4}, "ss": {"b"}, "cnt": 7,
                               "newcnt": 2}
    # deleting the last element removes the attribute
    r = table.update_item(Key={"pk": "a"}, UpdateExpression="DELETE ss :sb",
                          ExpressionAttributeValues={":sb": {"b"}}, ReturnValues="ALL_NEW")
    assert "ss" not in r["Attributes"]


def test_update_return_values_variants(ddb, table):
    ddb.put_item(TableName=table.name, Item={"pk": S("a"), "x": N(1), "y": N(2), "z": S("z")})
    upd = dict(TableName=table.name, Key={"pk": S("a")},
               UpdateExpression="SET x = :x, w = :w REMOVE z",
               ExpressionAttributeValues={":x": N(10), ":w": S("new")})
    r = ddb.update_item(ReturnValues="UPDATED_OLD", **upd)
    assert r["Attributes"] == {"x": N(1), "z": S("z")}
    r = ddb.update_item(ReturnValues="UPDATED_NEW", **upd)
    assert r["Attributes"] == {"x": N(10), "w": S("new")}
    r = ddb.update_item(ReturnValues="ALL_OLD", **upd)
    assert r["Attributes"] == {"pk": S("a"), "x": N(10), "y": N(2), "w": S("new")}
    r = ddb.update_item(ReturnValues="ALL_NEW", **upd)
    assert r["Attributes"] == {"pk": S("a"), "x": N(10), "y": N(2), "w": S("new")}
    r = ddb.update_item(ReturnValues="NONE", **upd)
    assert "Attributes" not in r
    # REMOVE-only update: UPDATED_NEW returns no Attributes
    r = ddb.update_item(TableName=table.name, Key={"pk": S("a")}, UpdateExpression="REMOVE y",
                        ReturnValues="UPDATED_NEW")
    assert "Attributes" not in r


def test_update_creates_item_and_rhs_reads_old_values(table):
    r = table.update_item(Key={"pk": "fresh"}, UpdateExpression="SET a = :v",
                          ExpressionAttributeValues={":v": 1}, ReturnValues="ALL_NEW")
    assert r["Attributes"] == {"pk": "fresh", "a": 1}
    table.update_item(Key={"pk": "fresh"}, UpdateExpression="SET a = :v, b = a",
                      ExpressionAttributeValues={":v": 2})
    assert table.get_item(Key={"pk": "fresh"})["Item"] == {"pk": "fresh", "a": 2, "b": 1}
    with pytest.raises(ClientError) as e:
        table.update_item(Key={"pk": "fresh"}, UpdateExpression="SET c = zz")
    assert ddb_error(e)[:2] == (
        "ValidationException",
        "The provided expression refers to an attribute that does not exist in the item")


def test_projection_expression(ddb, table):
    table.put_item(Item={"pk": "a", "name": "n", "m": {"x": 1, "y": 2}, "l": ["p", "q", "r"],
                         "other": 1})
    r = ddb.get_item(TableName=table.name, Key={"pk": S("a")},
                     ProjectionExpression="#n, m.y, l[2], absent",
                     ExpressionAttributeNames={"#n": "name"})
    assert r["Item"] == {"name": S("n"), "m": {"M": {"y": N(2)}}, "l": {"L": [S("r")]}}
    # nothing matching on an existing item: Item {}
    r = ddb.get_item(TableName=table.name, Key={"pk": S("a")}, ProjectionExpression="zzz")
    assert r["Item"] == {}


def test_resource_attr_conditions(table):
    table.put_item(Item={"pk": "a", "age": 30, "nick": "al", "tags": ["x"]})
    table.put_item(Item={"pk": "a", "age": 31}, ConditionExpression=(
        Attr("age").between(18, 65) & Attr("nick").begins_with("a") &
        Attr("tags").contains("x") & Attr("gone").not_exists() & Attr("age").is_in([30, 40]) &
        Attr("nick").size().eq(2) & Attr("nick").attribute_type("S") & Attr("age").ne(1)))
    with pytest.raises(ClientError) as e:
        table.delete_item(Key={"pk": "a"}, ConditionExpression=Attr("age").lt(18) |
                          Attr("age").exists() & Attr("age").gt(99))
    assert ddb_error(e)[0] == "ConditionalCheckFailedException"
    assert table.get_item(Key={"pk": "a"})["Item"]["age"] == 31


def test_number_normalization(ddb, table):
    ddb.put_item(TableName=table.name, Item={"pk": S("n"), "a": N("1e3"), "b": N("001.2300"),
                                             "c": N("-0"), "d": N(".5")})
    item = ddb.get_item(TableName=table.name, Key={"pk": S("n")})["Item"]
    assert item["a"] == N("1000") and item["b"] == N("1.23")
    assert item["c"] == N("0") and item["d"] == N("0.5")


def test_empty_values_allowed_outside_keys(table):
    table.put_item(Item={"pk": "e", "s": "", "l": [], "m": {}, "nested": {"x": ""}})
    assert table.get_item(Key={"pk": "e"})["Item"] == {"pk": "e", "s": "", "l": [], "m": {},
                                                       "nested": {"x": ""}}
