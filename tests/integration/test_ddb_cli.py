"""DynamoDB through the AWS CLI (`aws dynamodb ...`): table life cycle with the waiter,
items, query and scan (the CLI pages by itself), ARNs with the CLI's region, and the
error text the CLI prints. Runs in: the pytest process."""

import json

import pytest

from conftest import unique_name


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 reset: DynamoDB tables have unique names and are dropped."""


@pytest.fixture
def cli_table(ddb_cli):
    name = unique_name("cli")
    p, out = ddb_cli.json(
        "create-table", "--table-name", name, "--billing-mode", "PAY_PER_REQUEST",
        "--attribute-definitions", "AttributeName=pk,AttributeType=S",
        "AttributeName=sk,AttributeType=N",
        "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE")
    assert p.returncode == 0, p.stderr
    assert out["TableDescription"]["TableName"] == name
    yield name
    ddb_cli("dynamodb", "delete-table", "--table-name", name)


def test_cli_table_lifecycle(ddb_cli, cli_table):
    p = ddb_cli("dynamodb", "wait", "table-exists", "--table-name", cli_table, timeout=30)
    assert p.returncode == 0, p.stderr
    p, out = ddb_cli.json("describe-table", "--table-name", cli_table)
    assert p.returncode == 0, p.stderr
    assert out["Table"]["TableStatus"] == "ACTIVE"
    assert out["Table"]["TableArn"] == \
        "arn:aws:dynamodb:us-east-1:000000000000:table/" + cli_table
    p, out = ddb_cli.json("list-tables")
    assert cli_table in out["TableNames"]
    p, out = ddb_cli.json("delete-table", "--table-name", cli_table)
    assert p.returncode == 0, p.stderr
    p = ddb_cli("dynamodb", "wait", "table-not-exists", "--table-name", cli_table, timeout=30)
    assert p.returncode == 0, p.stderr


def test_cli_items_query_scan(ddb_cli, cli_table):
    for i in range(12):
        item = json.dumps({"pk": {"S": "p"}, "sk": {"N": str(i)}, "v": {"S": "v%d" % i}})
        p = ddb_cli("dynamodb", "put-item", "--table-name", cli_table, "--item", item)
        assert p.returncode == 0, p.stderr
    p, out = ddb_cli.json("get-item", "--table-name", cli_table,
                          "--key", '{"pk": {"S": "p"}, "sk": {"N": "3"}}')
    assert out["Item"]["v"] == {"S": "v3"}
    # the CLI follows LastEvaluatedKey itself when --page-size is small
    p, out = ddb_cli.json("query", "--table-name", cli_table,
                          "--key-condition-expression", "pk = :p AND sk >= :s",
                          "--expression-attribute-values", '{":p": {"S": "p"}, ":s": {"N": "2"}}',
                          "--page-size", "3")
    assert p.returncode == 0, p.stderr
    assert [int(i["sk"]["N"]) for i in out["Items"]] == list(range(2, 12))
    p, out = ddb_cli.json("scan", "--table-name", cli_table, "--filter-expression", "v = :v",
                          "--expression-attribute-values", '{":v": {"S": "v7"}}',
                          "--page-size", "5")
    assert out["Count"] == 1 and out["ScannedCount"] == 12
    p, out = ddb_cli.json("update-item", "--table-name", cli_table,
                          "--key", '{"pk": {"S": "p"}, "sk": {"N": "1"}}',
                          "--update-expression", "SET v = :v",
                          "--expression-attribute-values", '{":v": {"S": "new"}}',
                          "--return-values", "UPDATED_OLD")
    assert out["Attributes"] == {"v": {"S": "v1"}}


def test_cli_errors(ddb_cli, cli_table):
    p = ddb_cli("dynamodb", "describe-table", "--table-name", "no-such-table")
    assert p.returncode != 0
    assert "ResourceNotFoundException" in p.stderr
    assert "Requested resource not found: Table: no-such-table not found" in p.stderr
    item = json.dumps({"pk": {"S": "p"}, "sk": {"N": "1"}})
    assert ddb_cli("dynamodb", "put-item", "--table-name", cli_table, "--item",
                   item).returncode == 0
    p = ddb_cli("dynamodb", "put-item", "--table-name", cli_table, "--item", item,
                "--condition-expression", "attribute_not_exists(pk)")
    assert p.returncode != 0
    assert "ConditionalCheckFailedException" in p.stderr
    assert "The conditional request failed" in p.stderr


def test_cli_region(ddb_cli):
    name = unique_name("cli")
    p, out = ddb_cli.json(
        "create-table", "--table-name", name, "--billing-mode", "PAY_PER_REQUEST",
        "--attribute-definitions", "AttributeName=k,AttributeType=S",
        "--key-schema", "AttributeName=k,KeyType=HASH", region="eu-west-1")
    try:
        assert p.returncode == 0, p.stderr
        assert out["TableDescription"]["TableArn"] == \
            "arn:aws:dynamodb:eu-west-1:000000000000:table/" + name
        p, out = ddb_cli.json("list-tables")  # us-east-1: not there
        assert name not in out["TableNames"]
    finally:
        ddb_cli("dynamodb", "delete-table", "--table-name", name, region="eu-west-1")
