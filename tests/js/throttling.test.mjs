// Throughput limits seen by the AWS SDK for JavaScript v3, against a server started with
// `--limits aws` (docs/design/limits.md): PutRecords entries over a shard's budget carry
// ProvisionedThroughputExceededException with AWS's message, the SDK's retries get a fast
// PutRecord loop through, and GetRecords past 5 calls/s per shard is refused.
//
// Run: cd tests/js && SHOAL_BIN=../../build/shoal node --test throttling.test.mjs

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { ACCOUNT_ID, uniqueName, useServer } from './harness.mjs';
import { waitForStatus } from './util.mjs';

const THROTTLED = 'ProvisionedThroughputExceededException';
const SHARD0 = 'shardId-000000000000';
const rateMessage = (name) => `Rate exceeded for shard ${SHARD0} in stream ${name} under account ${ACCOUNT_ID}.`;

describe('throughput limits (--limits aws)', { timeout: 120_000 }, () => {
  const server = useServer({ limits: 'aws' });

  async function newStream(kinesis) {
    const name = uniqueName('thr');
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    await waitForStatus(kinesis, name);
    return name;
  }

  test('PutRecords: entries over the shard budget fail alone', async () => {
    const kinesis = server.client({ maxAttempts: 1 });
    const name = await newStream(server.client());
    const data = new Uint8Array(1016);  // + an 8-character key: 1 KiB
    const results = [];
    for (let b = 0; b < 3; b += 1) {
      const Records = [];
      for (let i = 0; i < 500; i += 1) Records.push({ Data: data, PartitionKey: `k${b}${String(i).padStart(6, '0')}` });
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: name, Records }));
      assert.equal(out.FailedRecordCount, out.Records.filter((r) => r.ErrorCode).length);
      results.push(...out.Records);
    }
    const throttled = results.filter((r) => r.ErrorCode);
    const ok = results.filter((r) => r.SequenceNumber);
    assert.ok(throttled.length > 0, 'nothing was throttled');
    assert.ok(ok.length >= 1000, `only ${ok.length} records accepted`);
    for (const r of throttled) {
      assert.equal(r.ErrorCode, THROTTLED);
      assert.equal(r.ErrorMessage, rateMessage(name));
    }
  });

  test('PutRecord: throttled without retries, through with the SDK retrying', async () => {
    const name = await newStream(server.client());
    const big = new Uint8Array(100 * 1024);
    const noRetry = server.client({ maxAttempts: 1 });
    let error = null;
    for (let i = 0; i < 20 && !error; i += 1) {
      try {
        await noRetry.send(new PutRecordCommand({ StreamName: name, Data: big, PartitionKey: `p${i}` }));
      } catch (err) {
        error = err;
      }
    }
    assert.ok(error, '20 x 100 KiB at once were not throttled');
    assert.equal(error.name, THROTTLED);
    assert.equal(error.message, rateMessage(name));
    assert.equal(error.$metadata.httpStatusCode, 400);

    const retrying = server.client({ maxAttempts: 10 });
    let attempts = 0;
    for (let i = 0; i < 30; i += 1) {
      const out = await retrying.send(new PutRecordCommand({ StreamName: name, Data: big, PartitionKey: `q${i}` }));
      assert.equal(out.ShardId, SHARD0);
      attempts += out.$metadata.attempts;
    }
    assert.ok(attempts > 30, 'the loop was never throttled');
  });

  test('GetRecords: more than 5 calls a second on one shard', async () => {
    const kinesis = server.client({ maxAttempts: 1 });
    const name = await newStream(server.client());
    let it = (await kinesis.send(new GetShardIteratorCommand({
      StreamName: name, ShardId: SHARD0, ShardIteratorType: 'TRIM_HORIZON',
    }))).ShardIterator;
    let ok = 0;
    const errors = [];
    for (let i = 0; i < 10; i += 1) {
      try {
        it = (await kinesis.send(new GetRecordsCommand({ ShardIterator: it }))).NextShardIterator;
        ok += 1;
      } catch (err) {
        errors.push(err);
      }
    }
    assert.ok(ok <= 6 && errors.length >= 4, `${ok} calls succeeded`);
    for (const err of errors) {
      assert.equal(err.name, THROTTLED);
      assert.equal(err.message, rateMessage(name));
    }
  });
});
