#!/usr/bin/env python3
"""The boto3 row of bench/compare: one boto3 client in one thread (what most users run), the same
workloads as loadgen's in simplified form, a fixed duration and seed. Writes a JSON whose
"summary" uses loadgen's key names.

  boto3_load.py --endpoint URL --workload put-records-1k|put-records-100b|put-record|get-records|put-get
                --duration S --seed N --json FILE
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time

import boto3
from botocore.config import Config


def percentile(values, p):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def client(endpoint):
    return boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="AKIDCOMPARE", aws_secret_access_key="compare",
                        config=Config(retries={"max_attempts": 1}, read_timeout=30))


def make_stream(k, name, shards=4):
    try:
        k.create_stream(StreamName=name, ShardCount=shards)
    except k.exceptions.ResourceInUseException:
        pass
    deadline = time.monotonic() + 60
    while k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            raise RuntimeError(f"stream {name} not ACTIVE after 60 s")
        time.sleep(0.1)
    return [s["ShardId"] for s in k.list_shards(StreamName=name)["Shards"]]


def put_records(k, rng, duration, size):
    make_stream(k, f"boto3-put-{size}")
    payloads = [rng.randbytes(size) for _ in range(16)]
    entries = [{"Data": payloads[i % 16], "PartitionKey": f"k{rng.randrange(1000)}"} for i in range(500)]
    records = nbytes = requests = 0
    lat = []
    end = time.monotonic() + duration
    start = time.monotonic()
    while time.monotonic() < end:
        t = time.monotonic()
        r = k.put_records(StreamName=f"boto3-put-{size}", Records=entries)
        lat.append((time.monotonic() - t) * 1e3)
        ok = 500 - r["FailedRecordCount"]
        records += ok
        nbytes += ok * size
        requests += 1
    sec = time.monotonic() - start
    return {"record_mb_per_s": nbytes / 1e6 / sec, "records_per_s": records / sec,
            "requests_per_s": requests / sec, "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99)}


def put_record(k, rng, duration):
    make_stream(k, "boto3-put-record")
    data = rng.randbytes(1024)
    lat = []
    end = time.monotonic() + duration
    start = time.monotonic()
    while time.monotonic() < end:
        t = time.monotonic()
        k.put_record(StreamName="boto3-put-record", Data=data, PartitionKey=f"k{rng.randrange(1000)}")
        lat.append((time.monotonic() - t) * 1e3)
    sec = time.monotonic() - start
    return {"requests_per_s": len(lat) / sec, "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99)}


def get_records(k, rng, duration, fill_mb):
    """Writes fill_mb MB (500 x 1 KiB PutRecords), then re-reads the shards from TRIM_HORIZON
    for `duration` seconds."""
    shards = make_stream(k, "boto3-get")
    data = rng.randbytes(1024)
    entries = [{"Data": data, "PartitionKey": f"k{i}"} for i in range(500)]
    written = 0
    while written < fill_mb * 1e6:
        r = k.put_records(StreamName="boto3-get", Records=entries)
        written += (500 - r["FailedRecordCount"]) * 1024
    records = nbytes = 0
    end = time.monotonic() + duration
    start = time.monotonic()
    while time.monotonic() < end:
        for shard in shards:
            it = k.get_shard_iterator(StreamName="boto3-get", ShardId=shard,
                                      ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            while it and time.monotonic() < end:
                r = k.get_records(ShardIterator=it, Limit=1000)
                records += len(r["Records"])
                nbytes += sum(len(x["Data"]) for x in r["Records"])
                if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
                    break
                it = r.get("NextShardIterator")
    sec = time.monotonic() - start
    return {"record_mb_per_s": nbytes / 1e6 / sec, "records_per_s": records / sec}


def put_get(k, rng, duration):
    make_stream(k, "boto3-put-get", shards=1)
    data = rng.randbytes(100)
    first = k.put_record(StreamName="boto3-put-get", Data=data, PartitionKey="k")
    it = k.get_shard_iterator(StreamName="boto3-put-get", ShardId=first["ShardId"],
                              ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                              StartingSequenceNumber=first["SequenceNumber"])["ShardIterator"]
    lat = []
    end = time.monotonic() + duration
    while time.monotonic() < end:
        t = time.monotonic()
        seq = k.put_record(StreamName="boto3-put-get", Data=data, PartitionKey="k")["SequenceNumber"]
        found = False
        while not found and time.monotonic() < end + 5:
            r = k.get_records(ShardIterator=it, Limit=10000)
            it = r["NextShardIterator"]
            found = any(x["SequenceNumber"] == seq for x in r["Records"])
        if found:
            lat.append((time.monotonic() - t) * 1e3)
    return {"samples": len(lat), "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--workload", required=True,
                    choices=["put-records-1k", "put-records-100b", "put-record", "get-records", "put-get"])
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--fill-mb", type=float, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    k = client(a.endpoint)
    out = {"tool": "shoal-compare-boto3", "workload": a.workload, "endpoint": a.endpoint,
           "duration_s": a.duration, "seed": a.seed, "error": "", "summary": {}}
    rc = 0
    try:
        if a.workload == "put-records-1k":
            out["summary"] = put_records(k, rng, a.duration, 1024)
        elif a.workload == "put-records-100b":
            out["summary"] = put_records(k, rng, a.duration, 100)
        elif a.workload == "put-record":
            out["summary"] = put_record(k, rng, a.duration)
        elif a.workload == "get-records":
            out["summary"] = get_records(k, rng, a.duration, a.fill_mb)
        else:
            out["summary"] = put_get(k, rng, a.duration)
    except Exception as e:  # the driver reports any failure in its JSON
        out["error"] = f"{type(e).__name__}: {e}"
        rc = 1
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out["client_cpu_s"] = ru.ru_utime + ru.ru_stime
    tmp = a.json + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
    os.replace(tmp, a.json)
    print(json.dumps(out["summary"]), out["error"], file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
