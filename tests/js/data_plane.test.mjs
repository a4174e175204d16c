// End-to-end tests of the data plane (PutRecord, PutRecords, GetShardIterator, GetRecords) with the
// AWS SDK for JavaScript v3 over its default HTTP/2 handler: Data as Uint8Array both ways,
// ApproximateArrivalTimestamp as a Date with milliseconds, AT_TIMESTAMP with a millisecond Date
// (the SDK sends fractional epoch seconds), validation errors and 1 MiB records.
//
// Run: cd tests/js && SHOAL_BIN=../../build/shoal node --test data_plane.test.mjs

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, test } from 'node:test';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { ACCOUNT_ID, sleep, uniqueName, useServer } from './harness.mjs';
import { MAX_HASH, assertDateBetween, expectError, shardId, waitForGone, waitForStatus } from './util.mjs';

const SUITE = { timeout: 180_000 };
const MiB = 1024 * 1024;
const SEQ = /^[1-9]\d{55}$/;
const enc = new TextEncoder();
const dec = new TextDecoder();

const notFound = (name) => `Stream ${name} under account ${ACCOUNT_ID} not found.`;
const mustSpecify = (type, what) =>
  'Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or ' +
  `(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified ${type} and ${what}.`;

/** MD5 of the UTF-8 partition key as an unsigned 128-bit big-endian integer (spec §4.1). */
function hashKey(partitionKey) {
  return BigInt(`0x${crypto.createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

function shardFor(shards, hash) {
  const s = shards.find((x) => BigInt(x.HashKeyRange.StartingHashKey) <= hash &&
    hash <= BigInt(x.HashKeyRange.EndingHashKey));
  assert.ok(s, `no shard holds ${hash}`);
  return s.ShardId;
}

function bytesEqual(a, b, what) {
  assert.ok(a instanceof Uint8Array, `${what}: Data must be a Uint8Array, got ${a?.constructor?.name}`);
  assert.equal(a.length, b.length, `${what}: length`);
  assert.ok(Buffer.from(a).equals(Buffer.from(b)), `${what}: bytes differ`);
}

function randomBytes(n) {
  return new Uint8Array(crypto.randomBytes(n));
}

async function createActive(kinesis, name, shards = 1) {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitForStatus(kinesis, name);
  return name;
}

async function iterator(kinesis, name, shard, type = 'TRIM_HORIZON', extra = {}) {
  const out = await kinesis.send(new GetShardIteratorCommand({
    StreamName: name, ShardId: shard, ShardIteratorType: type, ...extra,
  }));
  assert.equal(typeof out.ShardIterator, 'string');
  assert.ok(out.ShardIterator.length >= 1 && out.ShardIterator.length <= 512, 'iterator is 1-512 chars');
  return out.ShardIterator;
}

/** One GetRecords call with the invariants of an open shard checked. */
async function getRecords(kinesis, it, limit) {
  const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: it, ...(limit ? { Limit: limit } : {}) }));
  assert.ok(Array.isArray(out.Records), 'Records is an array');
  assert.equal(typeof out.NextShardIterator, 'string', 'NextShardIterator always present on an open shard');
  assert.equal(typeof out.MillisBehindLatest, 'number', 'MillisBehindLatest present');
  assert.ok(out.MillisBehindLatest >= 0);
  assert.ok(!out.ChildShards || out.ChildShards.length === 0, 'no ChildShards on an open shard');
  let last = null;
  for (const r of out.Records) {
    assert.match(r.SequenceNumber, SEQ);
    assert.ok(r.Data instanceof Uint8Array, 'Data is a Uint8Array');
    assert.equal(typeof r.PartitionKey, 'string');
    assert.ok(r.ApproximateArrivalTimestamp instanceof Date, 'ApproximateArrivalTimestamp is a Date');
    if (last !== null) assert.ok(BigInt(r.SequenceNumber) > last, 'records in sequence order');
    last = BigInt(r.SequenceNumber);
  }
  return out;
}

/** Reads until a call returns no records and MillisBehindLatest is 0. */
async function readAll(kinesis, it, limit) {
  const out = [];
  for (let i = 0; i < 1000; i++) {
    const res = await getRecords(kinesis, it, limit);
    if (out.length && res.Records.length) {
      assert.ok(BigInt(res.Records[0].SequenceNumber) > BigInt(out.at(-1).SequenceNumber));
    }
    out.push(...res.Records);
    it = res.NextShardIterator;
    if (res.Records.length === 0 && res.MillisBehindLatest === 0) return out;
  }
  throw new Error('GetRecords never caught up');
}

async function readShard(kinesis, name, shard, type = 'TRIM_HORIZON', extra = {}) {
  return readAll(kinesis, await iterator(kinesis, name, shard, type, extra));
}

async function put(kinesis, name, data, key, extra = {}) {
  const out = await kinesis.send(new PutRecordCommand({ StreamName: name, Data: data, PartitionKey: key, ...extra }));
  assert.match(out.ShardId, /^shardId-\d{12}$/);
  assert.match(out.SequenceNumber, SEQ);
  if (out.EncryptionType !== undefined) assert.equal(out.EncryptionType, 'NONE');
  return out;
}

// ---------------------------------------------------------------------------------------------
describe('data plane over HTTP/2', SUITE, () => {
  const server = useServer({ tmpPrefix: 'e2e-js-dp-' });
  let kinesis;
  before(() => { kinesis = server.client({ maxAttempts: 1 }); });

  test('round trips: empty, 1 byte, all 256 byte values, random sizes', async () => {
    const name = await createActive(kinesis, uniqueName('rt'));
    const all = new Uint8Array(512);
    for (let i = 0; i < 512; i++) all[i] = i % 256;
    const payloads = [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(255), all, randomBytes(3), randomBytes(4097)];
    const t0 = Date.now();
    const puts = [];
    for (const [i, data] of payloads.entries()) puts.push(await put(kinesis, name, data, `k${i}`));
    const t1 = Date.now();
    const records = await readShard(kinesis, name, shardId(0));
    assert.equal(records.length, payloads.length);
    for (const [i, r] of records.entries()) {
      bytesEqual(r.Data, payloads[i], `record ${i}`);
      assert.equal(r.PartitionKey, `k${i}`);
      assert.equal(r.SequenceNumber, puts[i].SequenceNumber);
      assertDateBetween(r.ApproximateArrivalTimestamp, t0, t1, 2000, `record ${i} arrival`);
    }
    for (let i = 1; i < puts.length; i++) {
      assert.ok(BigInt(puts[i].SequenceNumber) > BigInt(puts[i - 1].SequenceNumber), 'increasing per shard');
    }
  });

  test('a 1 MiB record (data + partition key at the limit) round-trips', async () => {
    const name = await createActive(kinesis, uniqueName('mib'));
    const key = 'one-mebibyte';
    const data = randomBytes(MiB - key.length);
    const out = await put(kinesis, name, data, key);
    const records = await readShard(kinesis, name, out.ShardId, 'AT_SEQUENCE_NUMBER',
      { StartingSequenceNumber: out.SequenceNumber });
    assert.equal(records.length, 1);
    bytesEqual(records[0].Data, data, '1 MiB record');
  });

  test('GetRecords responses of ~10 MiB over HTTP/2', async () => {
    const name = await createActive(kinesis, uniqueName('ten'));
    const size = MiB - 1;
    for (let i = 0; i < 11; i++) await put(kinesis, name, new Uint8Array(size).fill(i), 'k');
    const first = await getRecords(kinesis, await iterator(kinesis, name, shardId(0)));
    assert.ok(first.Records.length >= 1 && first.Records.length <= 10, `${first.Records.length} MiB in one response`);
    const rest = await readAll(kinesis, first.NextShardIterator);
    const all = [...first.Records, ...rest];
    assert.deepEqual(all.map((r) => r.Data[0]), [...Array(11).keys()]);
    assert.ok(all.every((r) => r.Data.length === size && r.Data[size - 1] === r.Data[0]));
  });

  test('PutRecords: 500 entries across 4 shards, MD5 routing, results in request order', async () => {
    const name = await createActive(kinesis, uniqueName('batch'), 4);
    const shards = (await kinesis.send(new ListShardsCommand({ StreamName: name }))).Shards;
    const entries = [];
    for (let i = 0; i < 500; i++) {
      entries.push({ Data: enc.encode(`entry-${i}-${'x'.repeat(i % 37)}`), PartitionKey: `pk-${i}-${i * 7919}` });
    }
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: name, Records: entries }));
    assert.equal(out.FailedRecordCount ?? 0, 0);
    assert.equal(out.Records.length, 500);
    const bySeq = new Map();
    out.Records.forEach((r, i) => {
      assert.equal(r.ErrorCode, undefined);
      assert.match(r.SequenceNumber, SEQ);
      assert.equal(r.ShardId, shardFor(shards, hashKey(entries[i].PartitionKey)), `entry ${i} routing`);
      bySeq.set(`${r.ShardId}/${r.SequenceNumber}`, entries[i]);
    });
    assert.equal(new Set(out.Records.map((r) => r.ShardId)).size, 4);
    let n = 0;
    for (const s of shards) {
      for (const r of await readShard(kinesis, name, s.ShardId)) {
        const e = bySeq.get(`${s.ShardId}/${r.SequenceNumber}`);
        assert.ok(e, `unexpected record ${s.ShardId}/${r.SequenceNumber}`);
        assert.equal(r.PartitionKey, e.PartitionKey);
        bytesEqual(r.Data, e.Data, r.PartitionKey);
        n++;
      }
    }
    assert.equal(n, 500);
  });

  test('ExplicitHashKey routes instead of MD5; the partition key is still returned', async () => {
    const name = await createActive(kinesis, uniqueName('ehk'), 3);
    const out = await put(kinesis, name, enc.encode('x'), 'a', { ExplicitHashKey: MAX_HASH.toString() });
    assert.equal(out.ShardId, shardId(2));
    const recs = await readShard(kinesis, name, shardId(2));
    assert.equal(recs[0].PartitionKey, 'a');
    assert.equal((await put(kinesis, name, enc.encode('y'), 'e', { ExplicitHashKey: '0' })).ShardId, shardId(0));
  });

  test('iterator types: TRIM_HORIZON, LATEST, AT_/AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP with milliseconds', async () => {
    const name = await createActive(kinesis, uniqueName('iters'));
    const puts = [];
    for (let i = 0; i < 8; i++) {
      puts.push(await put(kinesis, name, enc.encode(`r${i}`), 'k'));
      await sleep(15);
    }
    const texts = (recs) => recs.map((r) => dec.decode(r.Data));
    const all = await readShard(kinesis, name, shardId(0), 'TRIM_HORIZON');
    assert.deepEqual(texts(all), [...Array(8).keys()].map((i) => `r${i}`));
    assert.deepEqual(texts(await readShard(kinesis, name, shardId(0), 'AT_SEQUENCE_NUMBER',
      { StartingSequenceNumber: puts[3].SequenceNumber })), ['r3', 'r4', 'r5', 'r6', 'r7']);
    assert.deepEqual(texts(await readShard(kinesis, name, shardId(0), 'AFTER_SEQUENCE_NUMBER',
      { StartingSequenceNumber: puts[3].SequenceNumber })), ['r4', 'r5', 'r6', 'r7']);

    // AT_TIMESTAMP with a Date that has milliseconds: the first record whose arrival is >= it.
    const arrivals = all.map((r) => r.ApproximateArrivalTimestamp.getTime());
    assert.ok(arrivals.some((t) => t % 1000 !== 0), 'arrival timestamps carry milliseconds');
    for (const k of [2, 5, 7]) {
      const ts = new Date(arrivals[k]);
      const first = arrivals.findIndex((a) => a >= arrivals[k]);
      const got = await readShard(kinesis, name, shardId(0), 'AT_TIMESTAMP', { Timestamp: ts });
      assert.deepEqual(texts(got), texts(all.slice(first)), `AT_TIMESTAMP ${ts.toISOString()}`);
      // One millisecond later skips the record at exactly that time.
      const after = arrivals.findIndex((a) => a >= arrivals[k] + 1);
      const got2 = await readShard(kinesis, name, shardId(0), 'AT_TIMESTAMP', { Timestamp: new Date(arrivals[k] + 1) });
      assert.deepEqual(texts(got2), after < 0 ? [] : texts(all.slice(after)));
    }
    assert.equal((await readShard(kinesis, name, shardId(0), 'AT_TIMESTAMP',
      { Timestamp: new Date(Date.now() - 3_600_000) })).length, 8);

    // LATEST is pinned where it was created.
    const latest = await iterator(kinesis, name, shardId(0), 'LATEST');
    const empty = await getRecords(kinesis, latest);
    assert.deepEqual(empty.Records, []);
    assert.equal(empty.MillisBehindLatest, 0);
    await put(kinesis, name, enc.encode('after-latest'), 'k');
    assert.deepEqual(texts(await readAll(kinesis, latest)), ['after-latest']);
    assert.deepEqual(texts(await readAll(kinesis, empty.NextShardIterator)), ['after-latest']);
  });

  test('GetRecords Limit and MillisBehindLatest', async () => {
    const name = await createActive(kinesis, uniqueName('limit'));
    await kinesis.send(new PutRecordsCommand({
      StreamName: name, Records: [...Array(12).keys()].map((i) => ({ Data: enc.encode(`${i}`), PartitionKey: 'k' })),
    }));
    const it = await iterator(kinesis, name, shardId(0));
    const one = await getRecords(kinesis, it, 1);
    assert.equal(one.Records.length, 1);
    const byOne = await readAll(kinesis, it, 1);
    assert.equal(byOne.length, 12);
    const rest = await getRecords(kinesis, one.NextShardIterator, 10000);
    assert.equal(rest.Records.length, 11);
    assert.equal(rest.MillisBehindLatest, 0);
  });

  test('a record over 1 MiB → ValidationException', async () => {
    const name = await createActive(kinesis, uniqueName('big'));
    await expectError(kinesis.send(new PutRecordCommand({ StreamName: name, Data: new Uint8Array(MiB + 1), PartitionKey: 'k' })),
      'ValidationException', { message: /at 'data' failed to satisfy constraint: Member must have length less than or equal to 1048576$/ });
    await expectError(kinesis.send(new PutRecordsCommand({
      StreamName: name, Records: [{ Data: enc.encode('ok'), PartitionKey: 'k' }, { Data: new Uint8Array(MiB + 1), PartitionKey: 'k' }],
    })), ['ValidationException', 'InvalidArgumentException']);
    assert.equal((await readShard(kinesis, name, shardId(0))).length, 0, 'nothing written');
  });

  test('PutRecord / PutRecords validation errors', async () => {
    const name = await createActive(kinesis, uniqueName('errs'), 2);
    await expectError(kinesis.send(new PutRecordCommand({ StreamName: name, Data: enc.encode('x'), PartitionKey: 'k'.repeat(257) })),
      'ValidationException', { message: /partitionKey.*Member must have length less than or equal to 256/ });
    await expectError(kinesis.send(new PutRecordCommand({ StreamName: name, Data: enc.encode('x'), PartitionKey: '' })),
      'ValidationException', { message: /partitionKey.*Member must have length greater than or equal to 1/ });
    await expectError(kinesis.send(new PutRecordsCommand({ StreamName: name, Records: [] })),
      'ValidationException', { message: /records.*greater than or equal to 1/ });
    await expectError(kinesis.send(new PutRecordsCommand({
      StreamName: name, Records: Array.from({ length: 501 }, () => ({ Data: enc.encode('x'), PartitionKey: 'k' })),
    })), 'ValidationException', { message: /records.*less than or equal to 500/ });
    const tooBig = (MAX_HASH + 1n).toString();
    await expectError(kinesis.send(new PutRecordCommand({ StreamName: name, Data: enc.encode('x'), PartitionKey: 'k', ExplicitHashKey: tooBig })),
      'InvalidArgumentException',
      { message: `Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was ${tooBig}` });
    await expectError(kinesis.send(new PutRecordsCommand({
      StreamName: name, Records: [{ Data: enc.encode('ok'), PartitionKey: 'k' },
        { Data: enc.encode('bad'), PartitionKey: 'k', ExplicitHashKey: tooBig }],
    })), 'InvalidArgumentException');
    const missing = uniqueName('missing');
    await expectError(kinesis.send(new PutRecordCommand({ StreamName: missing, Data: enc.encode('x'), PartitionKey: 'k' })),
      'ResourceNotFoundException', { message: notFound(missing) });
    await expectError(kinesis.send(new PutRecordsCommand({ StreamName: missing, Records: [{ Data: enc.encode('x'), PartitionKey: 'k' }] })),
      'ResourceNotFoundException', { message: notFound(missing) });
    assert.equal((await readShard(kinesis, name, shardId(0))).length, 0, 'nothing written by failed calls');
    assert.equal((await readShard(kinesis, name, shardId(1))).length, 0, 'nothing written by failed calls');
  });

  test('GetShardIterator and GetRecords errors', async () => {
    const name = await createActive(kinesis, uniqueName('errs'), 2);
    await expectError(kinesis.send(new GetShardIteratorCommand({ StreamName: name, ShardId: shardId(0), ShardIteratorType: 'AT_SEQUENCE_NUMBER' })),
      'InvalidArgumentException', { message: mustSpecify('AT_SEQUENCE_NUMBER', 'no StartingSequenceNumber') });
    await expectError(kinesis.send(new GetShardIteratorCommand({ StreamName: name, ShardId: shardId(0), ShardIteratorType: 'AT_TIMESTAMP' })),
      'InvalidArgumentException',
      { message: 'Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.' });
    await expectError(kinesis.send(new GetShardIteratorCommand({ StreamName: name, ShardId: shardId(5), ShardIteratorType: 'LATEST' })),
      'ResourceNotFoundException');
    await expectError(kinesis.send(new GetShardIteratorCommand({ StreamName: name, ShardId: shardId(0), ShardIteratorType: 'SOMEWHERE' })),
      'ValidationException', { message: /shardIteratorType/ });
    const on1 = await put(kinesis, name, enc.encode('x'), 'b'); // "b" -> shard 1 of 2
    assert.equal(on1.ShardId, shardId(1));
    await expectError(kinesis.send(new GetShardIteratorCommand({
      StreamName: name, ShardId: shardId(0), ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: on1.SequenceNumber,
    })), 'InvalidArgumentException');

    const it = await iterator(kinesis, name, shardId(0));
    await expectError(kinesis.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10001 })),
      ['ValidationException', 'InvalidArgumentException']);
    await expectError(kinesis.send(new GetRecordsCommand({ ShardIterator: it, Limit: 0 })), 'ValidationException');
    await expectError(kinesis.send(new GetRecordsCommand({ ShardIterator: 'bm90IGFuIGl0ZXJhdG9y' })), 'InvalidArgumentException');
    const mid = Math.floor(it.length / 2);
    const tampered = it.slice(0, mid) + (it[mid] === 'Q' ? 'R' : 'Q') + it.slice(mid + 1);
    await expectError(kinesis.send(new GetRecordsCommand({ ShardIterator: tampered })), 'InvalidArgumentException');
    assert.equal((await readAll(kinesis, it)).length, 0);
  });

  test('an iterator of a deleted and re-created stream does not read the new stream', async () => {
    const name = await createActive(kinesis, uniqueName('recreate'));
    await put(kinesis, name, enc.encode('old'), 'k');
    const old = await iterator(kinesis, name, shardId(0));
    await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
    await waitForGone(kinesis, name);
    await createActive(kinesis, name);
    await put(kinesis, name, enc.encode('new'), 'k');
    try {
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: old }));
      assert.deepEqual(out.Records.filter((r) => dec.decode(r.Data) === 'new'), [], 'old iterator read the new stream');
    } catch (err) {
      assert.ok(['ResourceNotFoundException', 'InvalidArgumentException', 'ExpiredIteratorException'].includes(err.name),
        `unexpected ${err.name}: ${err.message}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('expired iterators (--iterator-ttl-seconds 2)', SUITE, () => {
  const server = useServer({ tmpPrefix: 'e2e-js-dp-ttl-', iteratorTtlSeconds: 2 });

  test('GetRecords with an iterator older than the TTL → ExpiredIteratorException', async () => {
    const kinesis = server.client({ maxAttempts: 1 });
    const name = await createActive(kinesis, uniqueName('ttl'));
    await put(kinesis, name, enc.encode('x'), 'k');
    const it = await iterator(kinesis, name, shardId(0));
    assert.equal((await getRecords(kinesis, it)).Records.length, 1);
    await sleep(3200);
    await expectError(kinesis.send(new GetRecordsCommand({ ShardIterator: it })), 'ExpiredIteratorException');
    const fresh = await iterator(kinesis, name, shardId(0));
    assert.equal((await getRecords(kinesis, fresh)).Records.length, 1);
  });
});
