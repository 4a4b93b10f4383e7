"""DynamoDB through PynamoDB (a Flask developer's ORM): models with a GSI and an LSI,
create_table/exists/delete_table, save/get/update/delete with conditions, query and scan
with filters and paging, batch_write/batch_get, and PynamoDB's own exceptions.
Runs in: the pytest process."""

import pytest
from pynamodb.attributes import (ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute,
                                 UnicodeSetAttribute)
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError
from pynamodb.indexes import (AllProjection, GlobalSecondaryIndex, KeysOnlyProjection,
                              LocalSecondaryIndex)
from pynamodb.models import Model

from conftest import unique_name


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 reset: DynamoDB tables have unique names and are dropped."""


class Address(MapAttribute):
    city = UnicodeAttribute()
    zip = UnicodeAttribute(null=True)


def make_models(endpoint, region="us-east-1"):
    table = unique_name("pyn")

    class ByEmail(GlobalSecondaryIndex):
        class Meta:
            index_name = "by-email"
            projection = AllProjection()
        email = UnicodeAttribute(hash_key=True)

    class ByScore(LocalSecondaryIndex):
        class Meta:
            index_name = "by-score"
            projection = KeysOnlyProjection()
        team = UnicodeAttribute(hash_key=True)
        score = NumberAttribute(range_key=True)

    class User(Model):
        class Meta:
            table_name = table
            host = endpoint
            region = "us-east-1"
            aws_access_key_id = "test"
            aws_secret_access_key = "test"
            billing_mode = "PAY_PER_REQUEST"
            max_retry_attempts = 0
        team = UnicodeAttribute(hash_key=True)
        name = UnicodeAttribute(range_key=True)
        email = UnicodeAttribute(null=True)
        score = NumberAttribute(default=0)
        roles = UnicodeSetAttribute(null=True)
        address = Address(null=True)
        history = ListAttribute(null=True)
        by_email = ByEmail()
        by_score = ByScore()

    User.Meta.region = region
    return User


@pytest.fixture
def User(ddb_endpoint):
    model = make_models(ddb_endpoint)
    model.create_table(wait=True)
    yield model
    if model.exists():
        model.delete_table()


def test_pynamodb_table_lifecycle(ddb_endpoint):
    model = make_models(ddb_endpoint, region="us-west-2")
    assert not model.exists()
    model.create_table(wait=True)
    try:
        assert model.exists()
        desc = model.describe_table()
        assert desc["TableArn"] == "arn:aws:dynamodb:us-west-2:000000000000:table/" + \
            model.Meta.table_name
        assert {i["IndexName"] for i in desc["GlobalSecondaryIndexes"]} == {"by-email"}
        assert {i["IndexName"] for i in desc["LocalSecondaryIndexes"]} == {"by-score"}
    finally:
        model.delete_table()
    assert not model.exists()


def test_pynamodb_crud_and_conditions(User):
    u = User("red", "ada", email="ada@example.com", score=10, roles={"admin"})
    u.address = Address(city="Oslo")
    u.save(condition=User.team.does_not_exist())
    with pytest.raises(PutError) as e:
        User("red", "ada").save(condition=User.team.does_not_exist())
    assert e.value.cause_response_code == "ConditionalCheckFailedException"
    assert e.value.cause_response_message == "The conditional request failed"
    got = User.get("red", "ada")
    assert got.email == "ada@example.com" and got.roles == {"admin"}
    assert got.address.city == "Oslo"
    got.update(actions=[User.score.add(5), User.history.set(["login"]),
                        User.roles.add({"dev"}), User.email.remove()])
    got.refresh()
    assert got.score == 15 and got.history == ["login"] and got.roles == {"admin", "dev"}
    assert got.email is None
    got.update(actions=[User.history.set(User.history.append(["logout"])),
                        User.address.zip.set("0150")])
    assert got.history == ["login", "logout"] and got.address.zip == "0150"
    with pytest.raises(UpdateError) as e:
        got.update(actions=[User.score.set(0)], condition=User.score < 5)
    assert e.value.cause_response_code == "ConditionalCheckFailedException"
    with pytest.raises(DeleteError):
        got.delete(condition=User.score == 1)
    got.delete()
    with pytest.raises(DoesNotExist):
        User.get("red", "ada")


def test_pynamodb_query_scan_indexes(User):
    with User.batch_write() as batch:
        for i in range(30):
            batch.save(User("blue" if i % 2 else "green", "u%02d" % i, score=i,
                            email="u%d@x.org" % (i % 5)))
    names = [u.name for u in User.query("blue", User.name.startswith("u1"))]
    assert names == ["u11", "u13", "u15", "u17", "u19"]
    # paging through the model's iterator with a small page size
    res = list(User.query("green", page_size=4))
    assert len(res) == 15 and [u.name for u in res] == sorted(u.name for u in res)
    res = list(User.query("green", filter_condition=User.score > 20))
    assert [u.score for u in res] == [22, 24, 26, 28]
    assert User.count("blue") == 15
    assert sorted(u.name for u in User.by_email.query("u3@x.org")) == [
        "u03", "u08", "u13", "u18", "u23", "u28"]
    lsi = list(User.by_score.query("green", User.score.between(10, 14)))
    assert [u.score for u in lsi] == [10, 12, 14]
    assert sum(1 for _ in User.scan(User.score >= 25)) == 5
    total = sum(1 for seg in range(3) for _ in User.scan(segment=seg, total_segments=3))
    assert total == 30
    got = list(User.batch_get([("blue", "u01"), ("green", "u02"), ("green", "nope")]))
    assert sorted(u.name for u in got) == ["u01", "u02"]
