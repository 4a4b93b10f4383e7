"""Concurrent clients across both workers: overlapping PUT/GET/DELETE/LIST on a few keys
never expose a torn or partial object, and listings stay consistent with the last writes.
(The long randomised version with worker kills is stress_s3.py.)"""

import concurrent.futures
import hashlib

import requests


def _value(tag, i, size):
    seed = ("%s-%d" % (tag, i)).encode()
    return (seed + b"|") * (size // (len(seed) + 1)) + seed


def test_overlapping_writers_never_tear(endpoint, s3, bucket):
    keys = ["hot/%d" % i for i in range(3)]
    written = {}
    for t in range(8):
        for i in range(25):
            v = _value("t%d" % t, i, 64 * 1024 + t * 1000 + i)
            written[hashlib.md5(v).hexdigest()] = v

    def worker(t):
        sess = requests.Session()
        bad = []
        for i in range(25):
            key = keys[(t + i) % len(keys)]
            v = _value("t%d" % t, i, 64 * 1024 + t * 1000 + i)
            r = sess.put("%s/%s/%s" % (endpoint, bucket, key), data=v, timeout=20)
            if r.status_code != 200:
                bad.append(("put", r.status_code))
            g = sess.get("%s/%s/%s" % (endpoint, bucket, keys[i % len(keys)]), timeout=20)
            if g.status_code == 200:
                md5 = hashlib.md5(g.content).hexdigest()
                if md5 not in written or g.headers.get("ETag") != '"%s"' % md5:
                    bad.append(("torn", len(g.content)))
            elif g.status_code != 404:
                bad.append(("get", g.status_code))
            if i % 10 == 9:
                sess.delete("%s/%s/%s" % (endpoint, bucket, key), timeout=20)
                lst = sess.get("%s/%s?list-type=2" % (endpoint, bucket), timeout=20)
                if lst.status_code != 200:
                    bad.append(("list", lst.status_code))
        return bad

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        problems = [p for res in ex.map(worker, range(8)) for p in res]
    assert problems == []
    # the final state: every listed key reads back whole and matches its listed ETag
    for c in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=c["Key"])["Body"].read()
        assert hashlib.md5(body).hexdigest() in written
        assert c["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
        assert c["Size"] == len(body)


def test_parallel_bucket_creation(s3):
    names = ["par-%02d" % i for i in range(20)]
    with concurrent.futures.ThreadPoolExecutor(10) as ex:
        list(ex.map(lambda n: s3.create_bucket(Bucket=n), names))
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == names
    with concurrent.futures.ThreadPoolExecutor(10) as ex:
        codes = list(ex.map(
            lambda n: s3.delete_bucket(Bucket=n)["ResponseMetadata"]["HTTPStatusCode"], names))
    assert codes == [204] * 20
    assert s3.list_buckets()["Buckets"] == []
