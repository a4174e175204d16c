// End-to-end tests of SubscribeToShard (enhanced fan-out push) with the AWS SDK for JavaScript
// v3: the SDK's default handler speaks HTTP/2 (h2c against http://), so the event stream
// arrives as HTTP/2 DATA frames.
//
// Run: cd tests/js && npm ci && SHOAL_BIN=../../build/shoal node --test subscribe.test.mjs

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CreateStreamCommand,
  DescribeStreamConsumerCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SplitShardCommand,
  SubscribeToShardCommand,
} from '@aws-sdk/client-kinesis';
import { sleep, streamArn, uniqueName, useServer } from './harness.mjs';
import { waitForStatus } from './util.mjs';

const SUITE = { timeout: 120_000 };
const LIFETIME_MS = 6000;  // above the 5 s resubscribe window

async function streamWithConsumer(kinesis, shards = 1) {
  const name = uniqueName('sub');
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitForStatus(kinesis, name, 'ACTIVE');
  const { Consumer } = await kinesis.send(new RegisterStreamConsumerCommand({
    StreamARN: streamArn(name), ConsumerName: 'c' }));
  for (;;) {
    const d = await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
    if (d.ConsumerDescription.ConsumerStatus === 'ACTIVE') break;
    await sleep(20);
  }
  return { name, consumerArn: Consumer.ConsumerARN };
}

/** Writes numbered records for one partition key until stop(); resolves to the acknowledged ones. */
function startWriter(kinesis, name, { batch = 5, pauseMs = 10 } = {}) {
  let stopped = false;
  const acked = [];
  const done = (async () => {
    let n = 0;
    while (!stopped) {
      const datas = Array.from({ length: batch }, (_, i) => `k-${String(n + i).padStart(6, '0')}`);
      n += batch;
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: name,
        Records: datas.map((d) => ({ Data: Buffer.from(d), PartitionKey: 'k' })) }));
      out.Records.forEach((r, i) => { if (!r.ErrorCode) acked.push([datas[i], r.SequenceNumber]); });
      await sleep(pauseMs);
    }
    return acked;
  })();
  return { stop: async () => { stopped = true; return done; } };
}

async function subscribe(kinesis, consumerArn, shardId, position) {
  const out = await kinesis.send(new SubscribeToShardCommand({
    ConsumerARN: consumerArn, ShardId: shardId, StartingPosition: position }));
  return out.EventStream;
}

describe('SubscribeToShard over HTTP/2', SUITE, () => {
  const server = useServer({ extraArgs: ['--consumer-create-delay-ms', '0',
    '--subscription-lifetime-ms', String(LIFETIME_MS), '--subscription-heartbeat-ms', '300'] });

  test('every record of a concurrent writer arrives once, in order, across an expiry', async () => {
    const kinesis = server.client();
    const { name, consumerArn } = await streamWithConsumer(kinesis);
    const writer = startWriter(kinesis, name);
    const got = [];
    let position = { Type: 'TRIM_HORIZON' };
    let lastStart = 0;
    for (let round = 0; round < 2; round++) {
      lastStart = Date.now();
      let events = 0;
      for await (const ev of await subscribe(kinesis, consumerArn, 'shardId-000000000000', position)) {
        const e = ev.SubscribeToShardEvent;
        assert.ok(e, `unexpected event ${Object.keys(ev)}`);
        events++;
        for (const r of e.Records) got.push([Buffer.from(r.Data).toString(), r.SequenceNumber]);
        assert.ok(e.ContinuationSequenceNumber);
        position = { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: e.ContinuationSequenceNumber };
      }
      assert.ok(Date.now() - lastStart > LIFETIME_MS - 1000, 'the stream ended before its lifetime');
      assert.ok(events > 0);
    }
    const acked = await writer.stop();
    await sleep(Math.max(0, 5100 - (Date.now() - lastStart - LIFETIME_MS)));
    for await (const ev of await subscribe(kinesis, consumerArn, 'shardId-000000000000', position)) {
      const e = ev.SubscribeToShardEvent;
      for (const r of e.Records) got.push([Buffer.from(r.Data).toString(), r.SequenceNumber]);
      if (got.length >= acked.length) break;
    }
    assert.ok(acked.length > 100, `only ${acked.length} records written`);
    assert.deepEqual(got, acked);
  });

  test('a split ends the parent with ChildShards and no continuation', async () => {
    const kinesis = server.client();
    const { name, consumerArn } = await streamWithConsumer(kinesis);
    const writer = startWriter(kinesis, name, { batch: 3 });
    const got = [];
    let final = null;
    let split = false;
    for await (const ev of await subscribe(kinesis, consumerArn, 'shardId-000000000000', { Type: 'TRIM_HORIZON' })) {
      const e = ev.SubscribeToShardEvent;
      for (const r of e.Records) got.push(Buffer.from(r.Data).toString());
      if (got.length > 30 && !split) {
        split = true;
        await kinesis.send(new SplitShardCommand({ StreamName: name, ShardToSplit: 'shardId-000000000000',
          NewStartingHashKey: (1n << 127n).toString() }));
      }
      if (e.ContinuationSequenceNumber === undefined) final = e;
    }
    assert.ok(final, 'no final event');
    assert.deepEqual(final.Records, []);
    assert.deepEqual(final.ChildShards.map((c) => c.ShardId).sort(),
      ['shardId-000000000001', 'shardId-000000000002']);
    await sleep(300);
    const acked = (await writer.stop()).map((a) => a[0]);
    for (const child of final.ChildShards.map((c) => c.ShardId).sort()) {
      for await (const ev of await subscribe(kinesis, consumerArn, child, { Type: 'TRIM_HORIZON' })) {
        const e = ev.SubscribeToShardEvent;
        for (const r of e.Records) got.push(Buffer.from(r.Data).toString());
        if (e.Records.length === 0 && e.MillisBehindLatest === 0) break;
      }
    }
    assert.deepEqual(got, acked);
  });

  test('a second subscription within 5 s is refused; after 5 s it takes over', async () => {
    const kinesis = server.client();
    const { consumerArn } = await streamWithConsumer(kinesis);
    const old = await subscribe(kinesis, consumerArn, 'shardId-000000000000', { Type: 'LATEST' });
    await assert.rejects(subscribe(kinesis, consumerArn, 'shardId-000000000000', { Type: 'LATEST' }),
      (err) => err.name === 'ResourceInUseException' &&
        err.message.startsWith('Another active subscription exists for this consumer'));
    await sleep(5050);
    const fresh = await subscribe(kinesis, consumerArn, 'shardId-000000000000', { Type: 'LATEST' });
    await assert.rejects((async () => { for await (const _ of old) { /* heartbeats */ } })(),
      (err) => err.name === 'ResourceInUseException');
    const it = fresh[Symbol.asyncIterator]();
    const first = await it.next();
    assert.ok(first.value.SubscribeToShardEvent);
    await it.return?.();
  });

  test('unknown consumers and shards are errors before the stream', async () => {
    const kinesis = server.client();
    const { consumerArn } = await streamWithConsumer(kinesis);
    await assert.rejects(subscribe(kinesis, consumerArn.replace('/consumer/c:', '/consumer/x:'),
      'shardId-000000000000', { Type: 'LATEST' }), (err) => err.name === 'ResourceNotFoundException');
    await assert.rejects(subscribe(kinesis, consumerArn, 'shardId-000000000009', { Type: 'LATEST' }),
      (err) => err.name === 'ResourceNotFoundException');
  });
});
