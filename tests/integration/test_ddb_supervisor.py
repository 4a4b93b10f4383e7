"""DynamoDB supervisor hand-off, seen from a worker's side of its Unix socket
(<runtime_dir>/ddb.sock, include/rs/ipc.h frames): frames sent back to back on one
connection are forwarded at once, each by its own thread (a slow Scan does not hold up a
ListTables sent after it), every answer carries its own request's id, and a PING in the
middle is answered too."""

import json
import socket
import struct

import pytest

HDR = struct.Struct("<IHHQII")  # magic, version, type, id, meta length, body length
MAGIC, REQUEST, RESPONSE, PING, PONG = 0x50495352, 1, 2, 3, 4


def frame(ftype, fid, meta=b"", body=b""):
    return HDR.pack(MAGIC, 1, ftype, fid, len(meta), len(body)) + meta + body


def request(fid, op, body):
    meta = json.dumps({"target": "DynamoDB_20120810." + op, "account": "000000000000",
                       "region": "us-east-1", "request_id": "sup-test-%d" % fid,
                       "content_type": "application/x-amz-json-1.0",
                       "access_key": "test"}).encode()
    return frame(REQUEST, fid, meta, json.dumps(body).encode())


def read_frame(s, buf):
    while len(buf) < HDR.size:
        chunk = s.recv(1 << 20)
        assert chunk, "supervisor closed the connection"
        buf += chunk
    magic, _, ftype, fid, mlen, blen = HDR.unpack(buf[:HDR.size])
    assert magic == MAGIC
    while len(buf) < HDR.size + mlen + blen:
        chunk = s.recv(1 << 20)
        assert chunk, "supervisor closed the connection"
        buf += chunk
    meta = buf[HDR.size:HDR.size + mlen]
    body = buf[HDR.size + mlen:HDR.size + mlen + blen]
    return (ftype, fid, meta, body), buf[HDR.size + mlen + blen:]


def test_frames_on_one_connection_are_forwarded_concurrently(ddb_server, ddb, ddb_table):
    if getattr(ddb_server, "external", False):
        pytest.skip("needs this suite's own server (its supervisor socket)")
    name = ddb_table()
    for i in range(4):  # about 1.4 MB: a Scan page reads 1 MB of it
        ddb.put_item(TableName=name, Item={"pk": {"S": "big-%d" % i},
                                           "v": {"S": ("%d" % i) * 350000}})
    path = "/tmp/ruststack-%d/ddb.sock" % ddb_server.port
    firsts = []
    for attempt in range(3):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(30)
        s.connect(path)
        try:
            base = 100 * attempt
            s.sendall(request(base + 1, "Scan", {"TableName": name}) +
                      frame(PING, base + 2) +
                      request(base + 3, "ListTables", {}))
            got, buf = {}, b""
            order = []
            while len(got) < 3:
                (ftype, fid, meta, body), buf = read_frame(s, buf)
                order.append(fid)
                got[fid] = (ftype, meta, body)
        finally:
            s.close()
        assert got[base + 2][0] == PONG
        ftype, meta, body = got[base + 1]
        assert ftype == RESPONSE and json.loads(meta)["status"] == 200
        assert json.loads(meta)["headers"]["x-amzn-requestid"] == "sup-test-%d" % (base + 1)
        assert json.loads(body)["Count"] >= 2
        ftype, meta, body = got[base + 3]
        assert ftype == RESPONSE and json.loads(meta)["status"] == 200
        assert name in json.loads(body)["TableNames"]
        firsts.append([f for f in order if f != base + 2][0] - base)
    # the ListTables sent after the Scan was not queued behind it (at least once: the
    # machine may be busy, but a supervisor that serialises a connection never does it)
    assert 3 in firsts, "answer order per attempt (1 = Scan first): %r" % firsts
