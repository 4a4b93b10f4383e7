#!/usr/bin/env python3
# gen_corpus.py: writes the seed corpus of every fuzz target into
# tests/fuzz/corpus/<target>/ (run once after changing a seed; the files are kept in git).
# Fields of multi-field targets are separated by "\n--\n" (see tests/fuzz/fuzz.h).
import base64
import io
import os
import shutil
import stat
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SEP = b"\n--\n"


def fields(*parts):
    return SEP.join(p if isinstance(p, bytes) else p.encode() for p in parts)


def zip_bytes(entries):
    """entries: (name, data, mode) with mode None for a plain file"""
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, mode in entries:
            zi = zipfile.ZipInfo(name)
            zi.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None:
                zi.create_system = 3
                zi.external_attr = mode << 16
            z.writestr(zi, data)
    return bio.getvalue()


V4 = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws4_request, "
      "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
      "Signature=" + "a" * 64)
EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
PRESIGN = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2F"
           "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&"
           "X-Amz-SignedHeaders=host&X-Amz-Signature=" + "b" * 64)
CREATE_RESP = ('{"TableDescription":{"TableArn":"arn:aws:dynamodb:ddblocal:000000000000:table/t",'
               '"TableName":"t","TableStatus":"ACTIVE","KeySchema":[{"AttributeName":"pk",'
               '"KeyType":"HASH"}],"ItemCount":0,"CreationDateTime":1.767225600123E9}}')
CREATE_REQ = ('{"TableName":"t","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],'
              '"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],'
              '"BillingMode":"PAY_PER_REQUEST"}')
PUT_REQ = '{"TableName":"t","Item":{"pk":{"S":"a"},"n":{"N":"1"},"l":{"L":[{"M":{"x":{"BOOL":true}}}]}}}'
ERR_RESP = ('{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",'
            '"Message":"Cannot do operations on a non-existent table"}')
FN_CREATE = ('{"FunctionName":"f","Runtime":"python3.12","Role":"arn:aws:iam::000000000000:role/r",'
             '"Handler":"app.handler","Code":{"ZipFile":"%s"},"Timeout":3,"MemorySize":128,'
             '"Environment":{"Variables":{"A":"b"}}}')

SEEDS = {
    "fuzz_xml": [
        b"",
        b'<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>",
        b"<Delete><Quiet>true</Quiet><Object><Key>a/b.txt</Key></Object>"
        b"<Object><Key>c</Key><VersionId>null</VersionId></Object></Delete>",
        b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE d [<!ENTITY e "x">]><Delete>'
        b"<Object><Key>&e;</Key></Object></Delete>",
        b"<Delete>" + b"<a>" * 300 + b"</a>" * 300 + b"</Delete>",
    ],
    "fuzz_sigv4": [
        fields(V4, "20260101T000000Z", "", EMPTY_SHA, "", "/bucket/key", ""),
        fields("", "", "", "", PRESIGN, "/bucket/key", ""),
        fields("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", "",
               "Thu, 01 Jan 2026 00:00:00 GMT", "", "", "/bucket/key", ""),
        fields("", "", "", "", "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1767229200&"
               "Signature=abc%2B%3D", "/b", ""),
        fields(V4.replace("host;", "host;;;"), "2026", "", "UNSIGNED-PAYLOAD", "a=b&c&=d",
               "/%zz/%", "body"),
        fields(V4, "20260101T000000Z", "", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "x-id=PutObject",
               "/b/k", ""),
    ],
    "fuzz_range": [
        fields("bytes=0-9", "", "", "", ""),
        fields("bytes=-5", '"d41d8cd98f00b204e9800998ecf8427e"', "", "", ""),
        fields("bytes=5-", "*", '"x", W/"y"', "Thu, 01 Jan 2026 00:00:00 GMT",
               "Sat, 01 Jan 2000 00:00:00 GMT"),
        fields("bytes=0-1,3-4", "", "*", "Mon, 32 Foo 1999 99:99:99 GMT", ""),
        fields("bytes=18446744073709551615-18446744073709551616", "", "", "", ""),
        fields("bytes= 10 - 2", "a,,b", "", "", "Thursday, 01-Jan-26 00:00:00 GMT"),
    ],
    "fuzz_awschunked": [
        b"5;chunk-signature=" + b"c" * 64 + b"\r\nhello\r\n0;chunk-signature=" + b"d" * 64
        + b"\r\n\r\n",
        b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
        b"0\r\nx-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:" + b"e" * 64
        + b"\r\n\r\n",
        b"ffffffffffffffff\r\nx\r\n",
        b"3\r\nab",
    ],
    "fuzz_query": [
        b"", b"delete", b"list-type=2&prefix=a%2Fb&max-keys=10&continuation-token=",
        b"a=%zz&b=%4&c=%41%42+d", b"&&=&==%00&x", b"uploads&partNumber=1&uploadId=%F0%9F%98%80",
    ],
    "fuzz_conf": [
        b"port = 4566\nworkers = 2\nlog_level = debug\n",
        b"# comment\n\nbind = 127.0.0.1\ns3_capacity = 2g\nauth_verify = yes\n"
        b"credentials = AKIA1:secret1:111111111111\n",
        b'log_file = "/tmp/with # hash.log"\r\nhostname = emu.example.org\n',
        b"port = 70000\nworkers = -1\n= x\nbogus\n",
        b"lambda_executor = process\nlambda_max_concurrency = 4\nlambda_idle_timeout = 600\n"
        b"dynamodb = off\ndocker = on\ndocker_socket = /var/run/docker.sock\n",
    ],
    "fuzz_ddb_rewrite": [
        fields("CreateTable", CREATE_REQ, CREATE_RESP, "", "0"),
        fields("DescribeTable", '{"TableName":"t"}', ERR_RESP, "", "1"),
        fields("PutItem", PUT_REQ, "{}", "One or more parameter values were invalid: "
               "Missing the key pk in the item", "1"),
        fields("DeleteTable", '{"TableName":"t"}', CREATE_RESP, "", "0"),
        fields("Query", '{"TableName":"t","KeyConditionExpression":"pk = :v",'
               '"ExpressionAttributeValues":{":v":{"N":"x"}}}',
               '{"Items":[{"a":{"S":"arn:aws:dynamodb:ddblocal:000000000000:t"}}],"Count":1}',
               "The provided key element does not match the schema", "1"),
        fields("BatchWriteItem", '{"RequestItems":{"t":[{"PutRequest":{"Item":{"pk":{"B":1}}}}]}}',
               "[1,2", "", "1"),
    ],
    "fuzz_ddb_prepare": [
        fields("\x00", "POST", "DynamoDB_20120810.ListTables", "application/x-amz-json-1.0",
               V4.replace("/s3/", "/dynamodb/"), "20260101T000000Z",
               '{"status":200,"headers":{"content-type":"application/x-amz-json-1.0"}}', "{}"),
        fields("\x01", "POST", "DynamoDB_20120810.PutItem", "application/x-amz-json-1.1",
               "", "", '{"status":"x"}', PUT_REQ),
        fields("\x00", "GET", "DynamoDB_20120810.Bogus", "", "", "", "[]", ""),
        fields("\x00", "POST", "Foo.GetItem", "text/plain", "AWS4-HMAC-SHA256 Credential=",
               "", '{"status":400,"headers":{"x-amzn-RequestId":"abc"}}', "{"),
    ],
    "fuzz_ddb_validate": [  # op (first byte: message capacity) and body
        fields("\x02PutItem", '{"TableName":"tbl","Item":{"a":{"M":{"b":{"L":[{"N":"1"},'
               '{"B":"AAEC"},{"BS":["QQ=="]},{"NULL":true}]}}},"s":{"S":"\\u00e9"}},'
               '"ReturnValues":"ALL_OLD"}'),
        fields("\x01CreateTable", '{"TableName":"a!","KeySchema":[{"AttributeName":"a",'
               '"KeyType":"SORT"}],"AttributeDefinitions":[{"AttributeName":"a",'
               '"AttributeType":"X"}],"ProvisionedThroughput":{"ReadCapacityUnits":0,'
               '"WriteCapacityUnits":1e3},"BillingMode":"FREE"}'),
        fields("\x00BatchGetItem", '{"RequestItems":{"tbl":{"Keys":[{"pk":{"S":"a"}}],'
               '"ConsistentRead":"true"}},"ReturnConsumedCapacity":"BOGUS"}'),
        fields("\x03Query", '{"TableName":12,"KeyConditions":{"pk":{"ComparisonOperator":'
               '"NE","AttributeValueList":[{"N":5}]}},"Limit":-0.5}'),
        fields("\x02Scan", b'{"TableName":"\xff","Segment":1000000,"X":[[[[{}]]]]}'),
    ],
    "fuzz_ipc": [
        (0x50495352).to_bytes(4, "little") + (1).to_bytes(2, "little") + (1).to_bytes(2, "little")
        + (7).to_bytes(8, "little") + (2).to_bytes(4, "little") + (3).to_bytes(4, "little")
        + b"{}abc",
        (0x50495352).to_bytes(4, "little") + (1).to_bytes(2, "little") + (3).to_bytes(2, "little")
        + (1).to_bytes(8, "little") + (0).to_bytes(4, "little") + (0).to_bytes(4, "little"),
        (0x50495352).to_bytes(4, "little") + (1).to_bytes(2, "little") + (2).to_bytes(2, "little")
        + (9).to_bytes(8, "little") + (0xFFFFFFFF).to_bytes(4, "little")
        + (0xFFFFFFFF).to_bytes(4, "little"),
    ],
    "fuzz_docker": [  # one byte: where the answer is cut into two reads
        b"\x20HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        b"\x31HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n",
        b"\x05HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
        b"\x00HTTP/1.0 404 Not Found\r\n\r\n{\"message\":\"No such image\"}",
        b"\xffHTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"\x40HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
    ],
    "fuzz_http1": [
        b"GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.0\n\n",
        b"POST /2018-06-01/runtime/init/error HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
        b"Expect: 100-continue\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
        b"\r\n5\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nConnection: close\r\n\r\n",
    ],
    "fuzz_apigw": [
        fields("\x00\x00\x00", "api1/prod/_user_request_/items/42", "a=1&a=2&b",
               "host: localhost:4566\ncontent-type: application/json\nx-forwarded-for: 1.2.3.4\n"
               "cookie: a=b", '{"x":1}',
               '{"statusCode":201,"headers":{"X-A":"b"},"multiValueHeaders":{"Set-Cookie":'
               '["a=1","b=2"]},"body":"aGk=","isBase64Encoded":true}'),
        fields("\x01\x00\x01", "api1/prod/_user_request_/", "", "", "\xff\xfe",
               '{"errorMessage":"boom","errorType":"Exception"}'),
        fields("\x00\x01\x00", "a%2Fb/st%20age/_user_request_/%E2%82%AC/", "x=%zz", "host: h", "",
               "not json"),
        fields("\x00\x00\x00", "api/stage/_user_request_/p", "", "", "",
               '{"statusCode":"abc","body":{"o":1},"headers":[1]}'),
    ],
    "fuzz_lambda_api": [
        fields("GET", "/2015-03-31/functions/", "", "", ""),
        fields("POST", "/2015-03-31/functions", "", "content-type: application/json",
               FN_CREATE % base64.b64encode(zip_bytes([("app.py", b"def handler(e, c):\n"
                                                        b"    return e\n", None)])).decode()),
        fields("GET", "/2015-03-31/functions/f", "Qualifier=%24LATEST", "", ""),
        fields("POST", "/2015-03-31/functions/f/invocations", "",
               "x-amz-invocation-type: RequestResponse\nx-amz-log-type: Tail", '{"a":1}'),
        fields("PUT", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3A"
               "function%3Af/configuration", "", "", '{"Timeout":900,"MemorySize":10241}'),
        fields("DELETE", "/2015-03-31/functions/f:1", "", "", ""),
        fields("GET", "/_ruststack/lambda/code/000000000000/us-east-1/f.zip", "", "", ""),
        fields("PUT", "/2015-03-31/functions/f/code", "", "", '{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}'),
    ],
    "fuzz_formdata": [
        fields("multipart/form-data; boundary=XyZ",
               b"--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk/${filename}\r\n"
               b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
               b"Content-Type: text/plain\r\n\r\nab\r\n--Xy\rc\r\n--XyZ--\r\n"),
        fields('multipart/form-data; boundary="a b"',
               b"pre\r\n--a b \r\ncontent-disposition: form-data; name=x\r\n\r\n\r\n--a b--"),
        fields("multipart/form-data; boundary=b",
               b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"q\\\"\"\r\n\r\n"
               b"\r\r\n\r\n-\r\n--\r\n--b\r\nX: y\r\n\r\n"),
    ],
    "fuzz_rapi": [
        b"\x00GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x01POST /2018-06-01/runtime/invocation/fuzz-req-1/response HTTP/1.1\r\n"
        b"Content-Length: 2\r\n\r\n{}",
        b"\x01POST /2018-06-01/runtime/invocation/fuzz-req-1/error HTTP/1.1\r\n"
        b"Lambda-Runtime-Function-Error-Type: Runtime.Boom\r\nContent-Length: 27\r\n\r\n"
        b'{"errorType":"E","x":"yyy"}',
        b"\x00POST /2018-06-01/runtime/init/error HTTP/1.1\r\nContent-Length: 13\r\n"
        b"Connection: keep-alive\r\n\r\n{\"errorType\":GET /x HTTP/1.0\r\n\r\n",
        b"\x01POST /2018-06-01/runtime/invocation/fuzz-req-1/response HTTP/1.1\r\n"
        b"Expect: 100-continue\r\nContent-Length: 99999999\r\n\r\n",
        b"\x00PUT /nope HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
    ],
}

ZIPS = [
    zip_bytes([("app.py", b"def handler(e, c):\n    return e\n", None),
               ("lib/", b"", stat.S_IFDIR | 0o755),
               ("lib/x.py", b"X = 1\n", stat.S_IFREG | 0o755)]),
    zip_bytes([("../escape.txt", b"out", None)]),
    zip_bytes([("/tmp/rs-fuzz-escape", b"abs", None)]),
    zip_bytes([("link", b"../../outside", stat.S_IFLNK | 0o777), ("link/f", b"x", None)]),
    zip_bytes([("inner", b"lib", stat.S_IFLNK | 0o777), ("lib/", b"", stat.S_IFDIR | 0o755)]),
    zip_bytes([("a/./b/../../../c", b"x", None)]),
    zip_bytes([("big", b"\0" * 300000, None)]),
    b"PK\x05\x06" + b"\0" * 18,
]
SEEDS["fuzz_lambda_code"] = ZIPS

DICTS = {
    "fuzz_xml": ["<Delete>", "</Delete>", "<Object>", "</Object>", "<Key>", "</Key>",
                 "<VersionId>", "</VersionId>", "<Quiet>", "</Quiet>", "true",
                 "<CreateBucketConfiguration>", "</CreateBucketConfiguration>",
                 "<LocationConstraint>", "</LocationConstraint>", "<?xml version=\"1.0\"?>",
                 "<!DOCTYPE", "<!ENTITY", "<![CDATA[", "]]>", "&amp;", "&#x0;",
                 "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""],
    "fuzz_sigv4": ["AWS4-HMAC-SHA256", "Credential=", "SignedHeaders=", "Signature=",
                   "aws4_request", "X-Amz-Algorithm=", "X-Amz-Credential=", "X-Amz-Date=",
                   "X-Amz-Expires=", "X-Amz-SignedHeaders=", "X-Amz-Signature=",
                   "X-Amz-Security-Token=", "AWSAccessKeyId=", "Expires=", "AWS ",
                   "UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "\n--\n"],
    "fuzz_range": ["bytes=", "-", ",", "*", "W/", "\"", "GMT", "\n--\n"],
    "fuzz_awschunked": [";chunk-signature=", "\r\n", "x-amz-trailer-signature:",
                        "x-amz-checksum-crc32:", "0\r\n\r\n"],
    "fuzz_query": ["%", "%2F", "%00", "=", "&", "+"],
    "fuzz_conf": ["port", "workers", "bind", "hostname", "credentials", "log_level", "log_file",
                  "s3_capacity", "auth_verify", "dynamodb", "lambda_executor", "lambda_image",
                  "docker_socket", " = ", "\n", "#", "\"", "yes", "off", "1g", "64k"],
    "fuzz_ddb_rewrite": ["\"TableName\"", "\"Item\"", "\"Key\"", "\"S\"", "\"N\"", "\"B\"",
                         "\"SS\"", "\"NS\"", "\"L\"", "\"M\"", "\"NULL\"", "\"BOOL\"",
                         "\"__type\"", "\"Message\"", "\"TableDescription\"", "\"TableArn\"",
                         "arn:aws:dynamodb:", "CreateTable", "DeleteTable", "PutItem", "Query",
                         "\n--\n"],
    "fuzz_ddb_prepare": ["DynamoDB_20120810.", "application/x-amz-json-1.0", "\"status\"",
                         "\"headers\"", "AWS4-HMAC-SHA256", "\n--\n"],
    "fuzz_ddb_validate": ["\"TableName\"", "\"Item\"", "\"Key\"", "\"RequestItems\"",
                          "\"KeySchema\"", "\"AttributeName\"", "\"KeyType\"", "\"M\"",
                          "\"L\"", "\"B\"", "\"N\"", "\"S\"", "\"BS\"", "\"Limit\"",
                          "\"ReturnValues\"", "\"Select\"", "\\u00", "\\ud83d", "true",
                          "null", "1e309", "\n--\n"],
    "fuzz_apigw": ["_user_request_", "\"statusCode\"", "\"headers\"", "\"multiValueHeaders\"",
                   "\"body\"", "\"isBase64Encoded\"", "true", "%2F", "\n--\n"],
    "fuzz_lambda_api": ["/2015-03-31/functions", "/invocations", "/configuration", "/code",
                        "Qualifier=", "$LATEST", "\"FunctionName\"", "\"Code\"", "\"ZipFile\"",
                        "arn:aws:lambda:us-east-1:000000000000:function:", "x-amz-invocation-type",
                        "Event", "DryRun", "\n--\n"],
    "fuzz_rapi": ["/2018-06-01/runtime", "/invocation/next", "/init/error",
                  "/invocation/fuzz-req-1/response", "/error", " HTTP/1.1\r\n", "\r\n\r\n",
                  "Content-Length: ", "Transfer-Encoding: chunked", "Expect: 100-continue",
                  "Connection: close", "Lambda-Runtime-Function-Error-Type: "],
    "fuzz_formdata": ["multipart/form-data; boundary=", "\r\n--", "--", "\r\n\r\n",
                      "Content-Disposition: form-data; name=", "; filename=", "Content-Type: ",
                      "\"", "\\", "\n--\n"],
    "fuzz_docker": ["HTTP/1.1 ", "\r\n", "Content-Length: ", "Transfer-Encoding: chunked",
                    "Connection: close"],
    "fuzz_http1": ["HTTP/1.1 ", "HTTP/1.0", "GET / HTTP/1.1", "\r\n", "\r\n\r\n",
                   "Content-Length: ", "Transfer-Encoding: chunked", "Connection: close",
                   "Connection: keep-alive", "Expect: 100-continue", ";ext=1", "0\r\n\r\n"],
}


def dict_line(s):
    out = ""
    for ch in s.encode():
        if ch == 0x22 or ch == 0x5C or ch < 0x20 or ch > 0x7E:
            out += "\\x%02X" % ch
        else:
            out += chr(ch)
    return '"' + out + '"'


def main():
    for target, seeds in SEEDS.items():
        d = os.path.join(HERE, "corpus", target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for i, s in enumerate(seeds):
            with open(os.path.join(d, "seed-%02d" % i), "wb") as f:
                f.write(s)
    dd = os.path.join(HERE, "dict")
    os.makedirs(dd, exist_ok=True)
    for target, words in DICTS.items():
        with open(os.path.join(dd, target + ".dict"), "w") as f:
            for w in words:
                f.write(dict_line(w) + "\n")


if __name__ == "__main__":
    main()
