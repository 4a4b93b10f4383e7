"""bench/mpu_bench.py: multipart upload figures (issue 11), one run on one machine:
- throughput of boto3's transfer manager at its defaults (8 MiB parts, 10 threads) uploading
  a file of --mib MiB, against single PUTs of the same bytes in objects of --put-mib MiB
  (10 threads) on the same RustStack, and the same multipart upload to moto (server mode);
- CompleteMultipartUpload of --parts (1,000) parts of 5 MiB (made with UploadPartCopy from one 5 MiB
  object, so no client bytes are sent): p50 over --rounds uploads, timed as one raw HTTP
  request (boto3's XML work on 1,000 parts would dominate);
- ListParts page of 1,000 parts: p50, the same way;
- GET of the multipart object with download_file, MiB/s.
Run it through bench/run-mpu.sh (bounded in time). Prints a table and writes --out."""

import argparse
import concurrent.futures
import http.client
import os
import statistics
import sys
import tempfile
import time

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

import servers

MIB = 1 << 20


def client(port):
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(max_pool_connections=32, retries={"max_attempts": 1}))


def upload_rate(s3, bucket, path, size):
    t0 = time.perf_counter()
    s3.upload_file(path, bucket, "big", Config=TransferConfig())  # defaults: 8 MiB, 10 threads
    return size / MIB / (time.perf_counter() - t0)


def put_rate(s3, bucket, data, total):
    n = max(1, total // len(data))
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(10) as ex:
        list(ex.map(lambda i: s3.put_object(Bucket=bucket, Key=f"p{i}", Body=data), range(n)))
    return n * len(data) / MIB / (time.perf_counter() - t0)


def get_rate(s3, bucket, size, workdir):
    dest = os.path.join(workdir, "down")
    t0 = time.perf_counter()
    s3.download_file(bucket, "big", dest, Config=TransferConfig())
    rate = size / MIB / (time.perf_counter() - t0)
    got = os.path.getsize(dest)
    os.unlink(dest)
    if got != size:
        raise RuntimeError(f"download_file got {got} bytes, not {size}")
    return rate


def complete_many(s3, bucket, rounds, nparts):
    s3.put_object(Bucket=bucket, Key="src5", Body=os.urandom(5 * MIB))
    done, listed = [], []
    for r in range(rounds):
        up = s3.create_multipart_upload(Bucket=bucket, Key=f"c{r}")["UploadId"]

        def copy(n):
            e = s3.upload_part_copy(Bucket=bucket, Key=f"c{r}", UploadId=up, PartNumber=n,
                                    CopySource={"Bucket": bucket, "Key": "src5"})
            return {"PartNumber": n, "ETag": e["CopyPartResult"]["ETag"]}

        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            parts = list(ex.map(copy, range(1, nparts + 1)))
        # timed as raw HTTP (bench/servers.HEADERS, as the ListObjectsV2 figure): boto3's
        # own XML work on a 1,000-part document is ~100x the server's time
        port = int(s3.meta.endpoint_url.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(5):  # the page is read 5 times: the first one is cold
            t0 = time.perf_counter()
            conn.request("GET", f"/{bucket}/c{r}?uploadId={up}&max-parts={nparts}",
                         headers=servers.HEADERS)
            resp = conn.getresponse()
            body = resp.read()
            listed.append((time.perf_counter() - t0) * 1000)
            if resp.status != 200 or body.count(b"<Part>") != nparts:
                raise RuntimeError(f"ListParts: HTTP {resp.status}, {body.count(b'<Part>')} parts")
        xml = ("<CompleteMultipartUpload>" + "".join(
            f"<Part><PartNumber>{p['PartNumber']}</PartNumber><ETag>{p['ETag']}</ETag></Part>"
            for p in parts) + "</CompleteMultipartUpload>").encode()
        t0 = time.perf_counter()
        conn.request("POST", f"/{bucket}/c{r}?uploadId={up}", body=xml, headers=servers.HEADERS)
        resp = conn.getresponse()
        body = resp.read()
        done.append((time.perf_counter() - t0) * 1000)
        conn.close()
        if resp.status != 200 or b"<ETag>" not in body:
            raise RuntimeError(f"Complete: HTTP {resp.status} {body[:300]!r}")
        head = s3.head_object(Bucket=bucket, Key=f"c{r}")
        if head["ContentLength"] != nparts * 5 * MIB or not head["ETag"].endswith(f'-{nparts}"'):
            raise RuntimeError(f"completed object: {head['ContentLength']} {head['ETag']}")
        s3.delete_object(Bucket=bucket, Key=f"c{r}")
    return statistics.median(done), statistics.median(listed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--moto-mib", type=int, default=256)
    ap.add_argument("--put-mib", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--parts", type=int, default=1000)
    ap.add_argument("--out")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="rs-mpu-bench-")
    conf = os.path.join(work, "ruststack.conf")
    with open(conf, "w") as f:
        f.write("access_log = off\nlog_level = warn\ndynamodb = off\nlambda = off\n"
                f"s3_capacity = {args.mib * 2 + args.parts * 6 + 512}m\n")
    path = os.path.join(work, "file")
    with open(path, "wb") as f:
        for _ in range(args.mib):
            f.write(os.urandom(MIB))
    lines = [f"multipart benchmark {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start"]
    rs, port = servers.ruststack(args.binary, conf, 2, work)
    if not rs.start(port):
        sys.exit("ruststack did not start")
    try:
        s3 = client(port)
        s3.create_bucket(Bucket="mpu")
        mp = upload_rate(s3, "mpu", path, args.mib * MIB)
        put = put_rate(s3, "mpu", os.urandom(args.put_mib * MIB), args.mib * MIB)
        get = get_rate(s3, "mpu", args.mib * MIB, work)
        for i in range(max(1, args.mib // args.put_mib)):
            s3.delete_object(Bucket="mpu", Key=f"p{i}")
        s3.delete_object(Bucket="mpu", Key="big")
        comp, lp = complete_many(s3, "mpu", args.rounds, args.parts)
    finally:
        rs.stop()
    mo, mport = servers.moto(work)
    moto_rate = None
    if mo.start(mport, timeout=60):
        try:
            ms3 = client(mport)
            ms3.create_bucket(Bucket="mpu")
            mpath = path + ".moto"
            with open(path, "rb") as src, open(mpath, "wb") as dst:
                dst.write(src.read(args.moto_mib * MIB))
            moto_rate = upload_rate(ms3, "mpu", mpath, args.moto_mib * MIB)
        finally:
            mo.stop()
    lines += [
        f"upload_file {args.mib} MiB (8 MiB parts, 10 threads)   {mp:8.0f} MiB/s",
        f"PUT {args.put_mib} MiB objects, same bytes, 10 threads  {put:8.0f} MiB/s",
        f"  multipart / single PUTs: {mp / put:.2f}x (target >= 0.8x)",
        f"download_file of the multipart object       {get:8.0f} MiB/s",
    ]
    if moto_rate:
        lines += [f"moto upload_file {args.moto_mib} MiB                   {moto_rate:8.0f} MiB/s",
                  f"  ruststack / moto: {mp / moto_rate:.1f}x"]
    else:
        lines.append("moto: did not start (no ratio)")
    lines += [f"CompleteMultipartUpload, {args.parts:,} parts of 5 MiB, p50 of {args.rounds}: "
              f"{comp:.2f} ms (target < 20 ms)",
              f"ListParts page of {args.parts:,} parts, p50 of {5 * args.rounds}: {lp:.2f} ms (target < 2 ms)"]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
