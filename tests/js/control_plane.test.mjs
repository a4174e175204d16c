// End-to-end tests of the control-plane operations with the AWS SDK for JavaScript v3.
// The client uses the SDK's default request handler, i.e. HTTP/2 prior knowledge against http://
// (see http2.test.mjs for the checks that HTTP/2 really is on the wire).
//
// Run: cd tests/js && npm ci && SHOAL_BIN=../../build/shoal node --test

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DecreaseStreamRetentionPeriodCommand,
  DeleteStreamCommand,
  DescribeAccountSettingsCommand,
  DescribeLimitsCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  KinesisServiceException,
  ListShardsCommand,
  ListStreamsCommand,
  ListTagsForResourceCommand,
  ListTagsForStreamCommand,
  RemoveTagsFromStreamCommand,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-kinesis';
import { ACCOUNT_ID, REGION, sleep, streamArn, uniqueName, useServer } from './harness.mjs';
import {
  assertDateBetween,
  assertInitialShards,
  expectError,
  expectedLayout,
  shardId,
  waitForGone,
  waitForStatus,
} from './util.mjs';

// Generous per-suite limit so that a hanging server fails the suite instead of the whole run.
const SUITE = { timeout: 180_000 };

const notFound = (name) => `Stream ${name} under account ${ACCOUNT_ID} not found.`;
const validation1 = (value, member, constraint) =>
  `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must ${constraint}`;

/** The output without the SDK's $metadata, for comparisons. */
function body(out) {
  const { $metadata, ...rest } = out;
  return rest;
}

async function createActive(kinesis, input) {
  await kinesis.send(new CreateStreamCommand(input));
  return waitForStatus(kinesis, input.StreamName);
}

// ---------------------------------------------------------------------------------------------
describe('streams on a server with fast transitions', SUITE, () => {
  const server = useServer();
  let kinesis;
  before(() => { kinesis = server.client(); });

  test('CreateStream(3) → CREATING, then ACTIVE; DescribeStream has the spec layout and defaults', async () => {
    const name = uniqueName('three');
    const t0 = Date.now();
    const created = await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 3 }));
    const t1 = Date.now();
    assert.equal(created.$metadata.httpStatusCode, 200);
    assert.ok(created.$metadata.requestId, 'x-amzn-RequestId on success');
    await waitForStatus(kinesis, name);
    const tActive = Date.now();

    const out = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    const d = out.StreamDescription;
    assert.equal(d.StreamName, name);
    assert.equal(d.StreamARN, `arn:aws:kinesis:${REGION}:${ACCOUNT_ID}:stream/${name}`);
    assert.equal(d.StreamStatus, 'ACTIVE');
    assert.equal(d.HasMoreShards, false);
    assert.equal(d.RetentionPeriodHours, 24);
    assert.deepEqual(d.EnhancedMonitoring, [{ ShardLevelMetrics: [] }]);
    assert.equal(d.EncryptionType, 'NONE');
    assert.equal(d.KeyId, undefined);
    assert.deepEqual(d.StreamModeDetails, { StreamMode: 'PROVISIONED' });
    assertDateBetween(d.StreamCreationTimestamp, t0, Math.max(t1, tActive), 1000, 'StreamCreationTimestamp');
    assertInitialShards(d.Shards, 3);
    // Spec §4.2, the exact table kinesalite asserted against AWS.
    assert.deepEqual(d.Shards.map((s) => [s.ShardId, s.HashKeyRange.StartingHashKey, s.HashKeyRange.EndingHashKey]), [
      ['shardId-000000000000', '0', '113427455640312821154458202477256070484'],
      ['shardId-000000000001', '113427455640312821154458202477256070485', '226854911280625642308916404954512140969'],
      ['shardId-000000000002', '226854911280625642308916404954512140970', '340282366920938463463374607431768211455'],
    ]);
    // Each StartingSequenceNumber is distinct per shard.
    assert.equal(new Set(d.Shards.map((s) => s.SequenceNumberRange.StartingSequenceNumber)).size, 3);
  });

  test('DescribeStreamSummary of an ACTIVE stream', async () => {
    const name = uniqueName('summary');
    await createActive(kinesis, { StreamName: name, ShardCount: 2 });
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(s.StreamName, name);
    assert.equal(s.StreamARN, streamArn(name));
    assert.equal(s.StreamStatus, 'ACTIVE');
    assert.equal(s.RetentionPeriodHours, 24);
    assert.equal(s.OpenShardCount, 2);
    assert.equal(s.ConsumerCount, 0);
    assert.deepEqual(s.EnhancedMonitoring, [{ ShardLevelMetrics: [] }]);
    assert.equal(s.EncryptionType, 'NONE');
    assert.deepEqual(s.StreamModeDetails, { StreamMode: 'PROVISIONED' });
    assert.equal(s.StreamId, undefined, 'StreamId must never be returned (it bypasses custom endpoints)');
    if (s.MaxRecordSizeInKiB !== undefined) assert.equal(s.MaxRecordSizeInKiB, 1024);
    assert.ok(s.StreamCreationTimestamp instanceof Date);

    // The same creation time in DescribeStream, DescribeStreamSummary and ListStreams, to the millisecond.
    const { StreamDescription: d } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assert.equal(d.StreamCreationTimestamp.getTime(), s.StreamCreationTimestamp.getTime());
    const listed = await kinesis.send(new ListStreamsCommand({ ExclusiveStartStreamName: name.slice(0, -1) }));
    const summary = (listed.StreamSummaries ?? []).find((x) => x.StreamName === name);
    assert.ok(summary, `ListStreams must include ${name} in StreamSummaries`);
    assert.equal(summary.StreamCreationTimestamp.getTime(), s.StreamCreationTimestamp.getTime());
  });

  test('StreamCreationTimestamp is a Date with millisecond precision', async () => {
    const samples = [];
    for (let i = 0; i < 3; i++) {
      const name = uniqueName('ts');
      const t0 = Date.now();
      await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      const t1 = Date.now();
      const s = await waitForStatus(kinesis, name);
      const tActive = Date.now();
      // The creation time lies between sending CreateStream and seeing ACTIVE (same clock).
      assertDateBetween(s.StreamCreationTimestamp, t0, tActive, 5, `StreamCreationTimestamp of ${name}`);
      samples.push({ ts: s.StreamCreationTimestamp.getTime(), t0, t1 });
    }
    // Whole seconds three times in a row means the milliseconds were dropped (1 in 10^9 otherwise).
    assert.ok(samples.some((x) => x.ts % 1000 !== 0),
      `all creation timestamps are whole seconds: ${samples.map((x) => x.ts).join(', ')}`);
  });

  test('CreateStream with ShardCount 1, 2 and 5: hash ranges cover [0, 2^128-1] evenly', async () => {
    for (const n of [1, 2, 5]) {
      const name = uniqueName(`n${n}`);
      await createActive(kinesis, { StreamName: name, ShardCount: n });
      const { StreamDescription: d } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
      assertInitialShards(d.Shards, n);
      const listed = await kinesis.send(new ListShardsCommand({ StreamName: name }));
      assertInitialShards(listed.Shards, n);
      assert.equal(listed.NextToken, undefined);
    }
    assert.deepEqual(expectedLayout(2)[1].StartingHashKey, '170141183460469231731687303715884105728');
  });

  test('CreateStream ON_DEMAND creates 4 shards', async () => {
    const name = uniqueName('ondemand');
    await createActive(kinesis, { StreamName: name, StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    const { StreamDescription: d } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assert.deepEqual(d.StreamModeDetails, { StreamMode: 'ON_DEMAND' });
    assertInitialShards(d.Shards, 4);
    assert.equal(d.Shards[1].HashKeyRange.StartingHashKey, '85070591730234615865843651857942052864');
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(s.OpenShardCount, 4);
    assert.deepEqual(s.StreamModeDetails, { StreamMode: 'ON_DEMAND' });
    const listed = await kinesis.send(new ListStreamsCommand({ ExclusiveStartStreamName: name.slice(0, -1) }));
    const summary = listed.StreamSummaries.find((x) => x.StreamName === name);
    assert.deepEqual(summary.StreamModeDetails, { StreamMode: 'ON_DEMAND' });
  });

  test('CreateStream PROVISIONED via StreamModeDetails with ShardCount', async () => {
    const name = uniqueName('prov');
    await createActive(kinesis, { StreamName: name, ShardCount: 2, StreamModeDetails: { StreamMode: 'PROVISIONED' } });
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.deepEqual(s.StreamModeDetails, { StreamMode: 'PROVISIONED' });
    assert.equal(s.OpenShardCount, 2);
  });

  test('CreateStream ON_DEMAND with a ShardCount is rejected', async () => {
    const name = uniqueName('odcount');
    await expectError(
      kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2, StreamModeDetails: { StreamMode: 'ON_DEMAND' } })),
      ['ValidationException', 'InvalidArgumentException'],
    );
    await expectError(kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name })), 'ResourceNotFoundException');
  });

  test('CreateStream with Tags: tags are visible through both tag APIs', async () => {
    const name = uniqueName('ctags');
    await createActive(kinesis, { StreamName: name, ShardCount: 1, Tags: { team: 'data', empty: '' } });
    const out = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name }));
    assert.deepEqual(out.Tags, [{ Key: 'empty', Value: '' }, { Key: 'team', Value: 'data' }]);
    assert.equal(out.HasMoreTags, false);
    const res = await kinesis.send(new ListTagsForResourceCommand({ ResourceARN: streamArn(name) }));
    assert.deepEqual([...res.Tags].sort((a, b) => a.Key.localeCompare(b.Key)),
      [{ Key: 'empty', Value: '' }, { Key: 'team', Value: 'data' }]);
  });

  test('CreateStream of an existing name → ResourceInUseException', async () => {
    const name = uniqueName('dup');
    await createActive(kinesis, { StreamName: name, ShardCount: 1 });
    const err = await expectError(kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 })),
      'ResourceInUseException', { message: `Stream ${name} under account ${ACCOUNT_ID} already exists.` });
    assert.ok(err instanceof KinesisServiceException);
    // The original stream is unchanged.
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(s.OpenShardCount, 1);
  });

  test('CreateStream validation errors use AWS message format', async () => {
    await expectError(kinesis.send(new CreateStreamCommand({ StreamName: 'bad name!', ShardCount: 1 })),
      'ValidationException',
      { message: validation1('bad name!', 'streamName', 'satisfy regular expression pattern: [a-zA-Z0-9_.-]+') });
    const long = 'a'.repeat(129);
    await expectError(kinesis.send(new CreateStreamCommand({ StreamName: long, ShardCount: 1 })),
      'ValidationException',
      { message: validation1(long, 'streamName', 'have length less than or equal to 128') });
    await expectError(kinesis.send(new CreateStreamCommand({ StreamName: '', ShardCount: 1 })),
      'ValidationException', { message: /at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1/ });
    await expectError(kinesis.send(new CreateStreamCommand({ StreamName: uniqueName('zero'), ShardCount: 0 })),
      'ValidationException',
      { message: validation1('0', 'shardCount', 'have value greater than or equal to 1') });
    await expectError(kinesis.send(new CreateStreamCommand({ StreamName: uniqueName('neg'), ShardCount: -5 })),
      'ValidationException',
      { message: validation1('-5', 'shardCount', 'have value greater than or equal to 1') });
    await expectError(kinesis.send(new CreateStreamCommand({ ShardCount: 1 })),
      'ValidationException',
      { message: "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null" });
    await expectError(kinesis.send(new CreateStreamCommand({ StreamName: uniqueName('mode'), ShardCount: 1, StreamModeDetails: { StreamMode: 'BOGUS' } })),
      'ValidationException',
      { message: /^1 validation error detected: Value 'BOGUS' at 'streamModeDetails.streamMode' failed to satisfy constraint: Member must satisfy enum value set: \[/ });
    // Two violations are reported together.
    await expectError(kinesis.send(new CreateStreamCommand({ StreamName: 'bad name!', ShardCount: 0 })),
      'ValidationException',
      { message: /^2 validation errors detected: Value .* failed to satisfy constraint: Member must .*; Value .* failed to satisfy constraint: Member must / });
    // 128 characters of every allowed class is fine.
    const maxName = `A-z_0.9${'x'.repeat(121)}`;
    assert.equal(maxName.length, 128);
    await createActive(kinesis, { StreamName: maxName, ShardCount: 1 });
    await kinesis.send(new DeleteStreamCommand({ StreamName: maxName }));
  });

  test('every stream operation on a missing stream → ResourceNotFoundException', async () => {
    const name = uniqueName('missing');
    const arn = streamArn(name);
    const byName = [
      new DescribeStreamCommand({ StreamName: name }),
      new DescribeStreamSummaryCommand({ StreamName: name }),
      new DeleteStreamCommand({ StreamName: name }),
      new ListShardsCommand({ StreamName: name }),
      new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 48 }),
      new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 24 }),
      new AddTagsToStreamCommand({ StreamName: name, Tags: { a: 'b' } }),
      new RemoveTagsFromStreamCommand({ StreamName: name, TagKeys: ['a'] }),
      new ListTagsForStreamCommand({ StreamName: name }),
      new DescribeStreamCommand({ StreamARN: arn }),
      new DescribeStreamSummaryCommand({ StreamARN: arn }),
      new ListShardsCommand({ StreamARN: arn }),
      new DeleteStreamCommand({ StreamARN: arn }),
    ];
    for (const cmd of byName) {
      const err = await expectError(kinesis.send(cmd), 'ResourceNotFoundException', { message: notFound(name) });
      assert.ok(err instanceof ResourceNotFoundException, `${cmd.constructor.name}: typed exception`);
    }
    for (const cmd of [
      new TagResourceCommand({ ResourceARN: arn, Tags: { a: 'b' } }),
      new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['a'] }),
      new ListTagsForResourceCommand({ ResourceARN: arn }),
    ]) {
      await expectError(kinesis.send(cmd), 'ResourceNotFoundException', { message: new RegExp(`${name}.*not found`) });
    }
  });

  test('StreamARN works wherever StreamName does', async () => {
    const name = uniqueName('arn');
    const arn = streamArn(name);
    await createActive(kinesis, { StreamName: name, ShardCount: 2 });

    const byName = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    const byArn = await kinesis.send(new DescribeStreamCommand({ StreamARN: arn }));
    assert.deepEqual(body(byArn), body(byName));
    const both = await kinesis.send(new DescribeStreamCommand({ StreamName: name, StreamARN: arn }));
    assert.deepEqual(body(both), body(byName));

    const sumByArn = await kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: arn }));
    assert.equal(sumByArn.StreamDescriptionSummary.StreamName, name);
    const shards = await kinesis.send(new ListShardsCommand({ StreamARN: arn }));
    assertInitialShards(shards.Shards, 2);

    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamARN: arn, RetentionPeriodHours: 36 }));
    await kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamARN: arn, RetentionPeriodHours: 30 }));
    await kinesis.send(new AddTagsToStreamCommand({ StreamARN: arn, Tags: { k1: 'v1', k2: 'v2' } }));
    await kinesis.send(new RemoveTagsFromStreamCommand({ StreamARN: arn, TagKeys: ['k2'] }));
    const tags = await kinesis.send(new ListTagsForStreamCommand({ StreamARN: arn }));
    assert.deepEqual(tags.Tags, [{ Key: 'k1', Value: 'v1' }]);
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(s.RetentionPeriodHours, 30);

    await kinesis.send(new DeleteStreamCommand({ StreamARN: arn }));
    await waitForGone(kinesis, name);
  });

  test('StreamName and StreamARN naming different streams → InvalidArgumentException', async () => {
    const a = uniqueName('mis-a');
    const b = uniqueName('mis-b');
    await createActive(kinesis, { StreamName: a, ShardCount: 1 });
    await createActive(kinesis, { StreamName: b, ShardCount: 1 });
    await expectError(kinesis.send(new DescribeStreamSummaryCommand({ StreamName: a, StreamARN: streamArn(b) })),
      'InvalidArgumentException');
    await expectError(kinesis.send(new ListShardsCommand({ StreamName: a, StreamARN: streamArn(b) })),
      'InvalidArgumentException');
  });

  test('neither StreamName nor StreamARN → client error', async () => {
    await expectError(kinesis.send(new DescribeStreamSummaryCommand({})), ['InvalidArgumentException', 'ValidationException']);
    await expectError(kinesis.send(new DescribeStreamCommand({})), ['InvalidArgumentException', 'ValidationException']);
  });

  test('malformed StreamARN → ValidationException', async () => {
    await expectError(kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: 'not-an-arn' })), 'ValidationException',
      { message: /at 'streamARN' failed to satisfy constraint: Member must satisfy regular expression pattern: / });
    await expectError(
      kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: 'arn:aws:kinesis:us-east-1:123:stream/x' })),
      'ValidationException');
    await expectError(kinesis.send(new ListTagsForResourceCommand({ ResourceARN: 'not-an-arn' })), 'ValidationException',
      { message: /at 'resourceARN' failed to satisfy constraint: Member must satisfy regular expression pattern: / });
  });

  test('DescribeStream paging: Limit, ExclusiveStartShardId, HasMoreShards', async () => {
    const name = uniqueName('dpage');
    await createActive(kinesis, { StreamName: name, ShardCount: 5 });
    const seen = [];
    let start;
    let pages = 0;
    for (;;) {
      const { StreamDescription: d } = await kinesis.send(
        new DescribeStreamCommand({ StreamName: name, Limit: 2, ExclusiveStartShardId: start }));
      pages += 1;
      assert.ok(d.Shards.length <= 2);
      seen.push(...d.Shards);
      if (!d.HasMoreShards) break;
      assert.equal(d.Shards.length, 2);
      start = d.Shards.at(-1).ShardId;
      assert.ok(pages < 10, 'paging does not terminate');
    }
    assert.equal(pages, 3);
    assertInitialShards(seen, 5);

    const mid = await kinesis.send(new DescribeStreamCommand({ StreamName: name, ExclusiveStartShardId: shardId(2) }));
    assert.deepEqual(mid.StreamDescription.Shards.map((s) => s.ShardId), [shardId(3), shardId(4)]);
    assert.equal(mid.StreamDescription.HasMoreShards, false);
    const last = await kinesis.send(new DescribeStreamCommand({ StreamName: name, ExclusiveStartShardId: shardId(4) }));
    assert.deepEqual(last.StreamDescription.Shards, []);
    assert.equal(last.StreamDescription.HasMoreShards, false);
    const exact = await kinesis.send(new DescribeStreamCommand({ StreamName: name, Limit: 5 }));
    assert.equal(exact.StreamDescription.Shards.length, 5);
    assert.equal(exact.StreamDescription.HasMoreShards, false);

    await expectError(kinesis.send(new DescribeStreamCommand({ StreamName: name, Limit: 0 })), 'ValidationException',
      { message: validation1('0', 'limit', 'have value greater than or equal to 1') });
    await expectError(kinesis.send(new DescribeStreamCommand({ StreamName: name, Limit: 10001 })), 'ValidationException',
      { message: validation1('10001', 'limit', 'have value less than or equal to 10000') });
    await expectError(kinesis.send(new DescribeStreamCommand({ StreamName: name, ExclusiveStartShardId: 'bad id!' })),
      'ValidationException', { message: /at 'exclusiveStartShardId' failed to satisfy constraint/ });
  });

  test('DescribeStream Limit above 100 is capped at 100', async () => {
    const name = uniqueName('cap');
    await createActive(kinesis, { StreamName: name, ShardCount: 120 });
    const first = await kinesis.send(new DescribeStreamCommand({ StreamName: name, Limit: 10000 }));
    assert.equal(first.StreamDescription.Shards.length, 100);
    assert.equal(first.StreamDescription.HasMoreShards, true);
    const dflt = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assert.equal(dflt.StreamDescription.Shards.length, 100);
    const rest = await kinesis.send(new DescribeStreamCommand({ StreamName: name, ExclusiveStartShardId: shardId(99) }));
    assert.equal(rest.StreamDescription.Shards.length, 20);
    assert.equal(rest.StreamDescription.HasMoreShards, false);
    assertInitialShards([...first.StreamDescription.Shards, ...rest.StreamDescription.Shards], 120);
    const listed = await kinesis.send(new ListShardsCommand({ StreamName: name }));
    assert.equal(listed.Shards.length, 120, 'ListShards returns up to 1000 shards by default');
    assert.equal(listed.NextToken, undefined);
    await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
  });

  test('ListShards: ExclusiveStartShardId, MaxResults and NextToken paging', async () => {
    const name = uniqueName('lpage');
    await createActive(kinesis, { StreamName: name, ShardCount: 5 });

    const all = await kinesis.send(new ListShardsCommand({ StreamName: name }));
    assertInitialShards(all.Shards, 5);
    assert.equal(all.NextToken, undefined);

    const after2 = await kinesis.send(new ListShardsCommand({ StreamName: name, ExclusiveStartShardId: shardId(2) }));
    assert.deepEqual(after2.Shards.map((s) => s.ShardId), [shardId(3), shardId(4)]);

    const pages = [];
    let out = await kinesis.send(new ListShardsCommand({ StreamName: name, MaxResults: 2 }));
    pages.push(out.Shards.map((s) => s.ShardId));
    while (out.NextToken) {
      assert.ok(pages.length < 10, 'paging does not terminate');
      out = await kinesis.send(new ListShardsCommand({ NextToken: out.NextToken, MaxResults: 2 }));
      pages.push(out.Shards.map((s) => s.ShardId));
    }
    assert.deepEqual(pages.flat(), [0, 1, 2, 3, 4].map(shardId));
    assert.ok(pages.length >= 3 && pages.length <= 4, `pages: ${JSON.stringify(pages)}`);
    assert.deepEqual(pages[0], [shardId(0), shardId(1)]);
    assert.deepEqual(pages[1], [shardId(2), shardId(3)]);

    // A token remembers MaxResults-independent position; MaxResults may change between pages.
    const p1 = await kinesis.send(new ListShardsCommand({ StreamName: name, MaxResults: 1 }));
    assert.deepEqual(p1.Shards.map((s) => s.ShardId), [shardId(0)]);
    assert.ok(p1.NextToken);
    const p2 = await kinesis.send(new ListShardsCommand({ NextToken: p1.NextToken }));
    assert.deepEqual(p2.Shards.map((s) => s.ShardId), [1, 2, 3, 4].map(shardId));
    assert.equal(p2.NextToken, undefined);

    // A token is reusable (it encodes the position, not server-side cursor state).
    const again = await kinesis.send(new ListShardsCommand({ NextToken: p1.NextToken, MaxResults: 1 }));
    assert.deepEqual(again.Shards.map((s) => s.ShardId), [shardId(1)]);

    // MaxResults above 1000 is capped, not rejected.
    const big = await kinesis.send(new ListShardsCommand({ StreamName: name, MaxResults: 10000 }));
    assert.equal(big.Shards.length, 5);
  });

  test('ListShards argument errors', async () => {
    const name = uniqueName('lerr');
    await createActive(kinesis, { StreamName: name, ShardCount: 3 });
    const first = await kinesis.send(new ListShardsCommand({ StreamName: name, MaxResults: 1 }));
    assert.ok(first.NextToken);

    await expectError(kinesis.send(new ListShardsCommand({ NextToken: first.NextToken, ExclusiveStartShardId: shardId(0) })),
      'InvalidArgumentException', { message: 'NextToken and ExclusiveStartShardId cannot be provided together.' });
    await expectError(kinesis.send(new ListShardsCommand({ StreamName: name, MaxResults: 0 })), 'ValidationException',
      { message: validation1('0', 'maxResults', 'have value greater than or equal to 1') });
    await expectError(kinesis.send(new ListShardsCommand({ StreamName: name, MaxResults: 10001 })), 'ValidationException',
      { message: validation1('10001', 'maxResults', 'have value less than or equal to 10000') });
    await expectError(kinesis.send(new ListShardsCommand({ NextToken: 'this-is-not-a-token' })),
      ['InvalidArgumentException', 'ExpiredNextTokenException']);
    await expectError(kinesis.send(new ListShardsCommand({})), ['InvalidArgumentException', 'ValidationException']);
    await expectError(kinesis.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type: 'AFTER_SHARD_ID' } })),
      'InvalidArgumentException');
    await expectError(kinesis.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type: 'AT_TIMESTAMP' } })),
      'InvalidArgumentException');
    await expectError(kinesis.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type: 'FROM_TIMESTAMP' } })),
      'InvalidArgumentException');
    await expectError(kinesis.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type: 'NOPE' } })),
      'ValidationException', { message: /at 'shardFilter.type' failed to satisfy constraint: Member must satisfy enum value set/ });
  });

  test('ListShards ShardFilter types on a stream without resharding', async () => {
    const name = uniqueName('filter');
    const tCreate = Date.now();
    await createActive(kinesis, { StreamName: name, ShardCount: 4 });
    await sleep(20);
    const now = new Date();
    const ids = async (filter, extra = {}) =>
      (await kinesis.send(new ListShardsCommand({ StreamName: name, ShardFilter: filter, ...extra }))).Shards.map((s) => s.ShardId);
    const everything = [0, 1, 2, 3].map(shardId);

    assert.deepEqual(await ids({ Type: 'AFTER_SHARD_ID', ShardId: shardId(1) }), [shardId(2), shardId(3)]);
    assert.deepEqual(await ids({ Type: 'AT_TRIM_HORIZON' }), everything);
    assert.deepEqual(await ids({ Type: 'FROM_TRIM_HORIZON' }), everything);
    assert.deepEqual(await ids({ Type: 'AT_LATEST' }), everything);
    assert.deepEqual(await ids({ Type: 'AT_TIMESTAMP', Timestamp: now }), everything);
    assert.deepEqual(await ids({ Type: 'FROM_TIMESTAMP', Timestamp: now }), everything);
    assert.deepEqual(await ids({ Type: 'FROM_TIMESTAMP', Timestamp: new Date(tCreate - 3_600_000) }), everything);

    // The filter survives pagination (the token encodes it).
    const p1 = await kinesis.send(new ListShardsCommand({
      StreamName: name, MaxResults: 1, ShardFilter: { Type: 'AFTER_SHARD_ID', ShardId: shardId(1) },
    }));
    assert.deepEqual(p1.Shards.map((s) => s.ShardId), [shardId(2)]);
    assert.ok(p1.NextToken);
    const p2 = await kinesis.send(new ListShardsCommand({ NextToken: p1.NextToken }));
    assert.deepEqual(p2.Shards.map((s) => s.ShardId), [shardId(3)]);
    assert.equal(p2.NextToken, undefined);
  });

  test('Increase/DecreaseStreamRetentionPeriod', async () => {
    const name = uniqueName('ret');
    await createActive(kinesis, { StreamName: name, ShardCount: 1 });
    const retention = async () =>
      (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary.RetentionPeriodHours;

    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 48 }));
    assert.equal(await retention(), 48);
    const { StreamDescription: d } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assert.equal(d.RetentionPeriodHours, 48);
    assert.equal(d.StreamStatus, 'ACTIVE');

    await expectError(kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 25 })),
      'InvalidArgumentException', {
        message: `Requested retention period (25 hours) for stream ${name} can not be shorter than existing retention period (48 hours). Use DecreaseRetentionPeriod API.`,
      });
    await expectError(kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 100 })),
      'InvalidArgumentException', {
        message: `Requested retention period (100 hours) for stream ${name} can not be longer than existing retention period (48 hours). Use IncreaseRetentionPeriod API.`,
      });
    await expectError(kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 23 })),
      'InvalidArgumentException',
      { message: 'Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.' });
    await expectError(kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 8761 })),
      'InvalidArgumentException');
    await expectError(kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name })),
      'ValidationException',
      { message: "1 validation error detected: Value null at 'retentionPeriodHours' failed to satisfy constraint: Member must not be null" });
    assert.equal(await retention(), 48, 'failed calls change nothing');

    // Equal values are accepted by both operations.
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 48 }));
    await kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 48 }));
    assert.equal(await retention(), 48);

    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 8760 }));
    assert.equal(await retention(), 8760);
    await kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 24 }));
    assert.equal(await retention(), 24);
    await waitForStatus(kinesis, name, 'ACTIVE');
  });

  test('AddTagsToStream / ListTagsForStream / RemoveTagsFromStream', async () => {
    const name = uniqueName('tags');
    await createActive(kinesis, { StreamName: name, ShardCount: 1 });
    const list = async (input = {}) => kinesis.send(new ListTagsForStreamCommand({ StreamName: name, ...input }));

    const empty = await list();
    assert.deepEqual(empty.Tags, []);
    assert.equal(empty.HasMoreTags, false);

    await kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { b: '2', a: '1', c: '3' } }));
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { a: 'one', 'x y/z=+-@._': 'ok value' } }));
    const full = await list();
    assert.deepEqual(full.Tags, [
      { Key: 'a', Value: 'one' }, { Key: 'b', Value: '2' }, { Key: 'c', Value: '3' }, { Key: 'x y/z=+-@._', Value: 'ok value' },
    ]);
    assert.equal(full.HasMoreTags, false);

    const page1 = await list({ Limit: 2 });
    assert.deepEqual(page1.Tags.map((t) => t.Key), ['a', 'b']);
    assert.equal(page1.HasMoreTags, true);
    const page2 = await list({ Limit: 2, ExclusiveStartTagKey: 'b' });
    assert.deepEqual(page2.Tags.map((t) => t.Key), ['c', 'x y/z=+-@._']);
    assert.equal(page2.HasMoreTags, false);
    const fromMissingKey = await list({ ExclusiveStartTagKey: 'bb' });
    assert.deepEqual(fromMissingKey.Tags.map((t) => t.Key), ['c', 'x y/z=+-@._']);

    await kinesis.send(new RemoveTagsFromStreamCommand({ StreamName: name, TagKeys: ['a', 'no-such-key'] }));
    assert.deepEqual((await list()).Tags.map((t) => t.Key), ['b', 'c', 'x y/z=+-@._']);

    await expectError(list({ Limit: 0 }), 'ValidationException',
      { message: validation1('0', 'limit', 'have value greater than or equal to 1') });
    await expectError(list({ Limit: 51 }), 'ValidationException',
      { message: validation1('51', 'limit', 'have value less than or equal to 50') });
    await expectError(kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: {} })), 'ValidationException',
      { message: /at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1/ });
    await expectError(kinesis.send(new AddTagsToStreamCommand({ StreamName: name })), 'ValidationException',
      { message: "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null" });
    await expectError(kinesis.send(new RemoveTagsFromStreamCommand({ StreamName: name, TagKeys: [] })), 'ValidationException',
      { message: /at 'tagKeys' failed to satisfy constraint: Member must have length greater than or equal to 1/ });
    await expectError(kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { 'semi;colon': 'v' } })),
      'InvalidArgumentException');
    await expectError(kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { k: 'new\nline' } })),
      'InvalidArgumentException');
    assert.deepEqual((await list()).Tags.map((t) => t.Key), ['b', 'c', 'x y/z=+-@._'], 'failed calls change nothing');
  });

  test('a stream holds at most 50 tags', async () => {
    const name = uniqueName('tag50');
    await createActive(kinesis, { StreamName: name, ShardCount: 1 });
    const tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${String(i).padStart(2, '0')}`, `v${i}`]));
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: tags }));
    const all = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name }));
    assert.equal(all.Tags.length, 50);
    assert.equal(all.HasMoreTags, false);
    // Overwriting an existing key is still fine at the limit.
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { k00: 'changed' } }));
    const noRetry = server.client({ maxAttempts: 1 });
    await expectError(noRetry.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { extra: 'x' } })),
      ['LimitExceededException', 'InvalidArgumentException']);
    await expectError(noRetry.send(new TagResourceCommand({ ResourceARN: streamArn(name), Tags: { extra: 'x' } })),
      ['LimitExceededException', 'InvalidArgumentException']);
    assert.equal((await kinesis.send(new ListTagsForStreamCommand({ StreamName: name }))).Tags.length, 50);
  });

  test('TagResource / UntagResource / ListTagsForResource with a stream ARN', async () => {
    const name = uniqueName('rtags');
    const arn = streamArn(name);
    await createActive(kinesis, { StreamName: name, ShardCount: 1 });

    const none = await kinesis.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    assert.deepEqual(none.Tags ?? [], []);

    await kinesis.send(new TagResourceCommand({ ResourceARN: arn, Tags: { owner: 'me', env: 'test', drop: 'x' } }));
    const sorted = (tags) => [...tags].sort((x, y) => x.Key.localeCompare(y.Key));
    const res = await kinesis.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    assert.deepEqual(sorted(res.Tags), [{ Key: 'drop', Value: 'x' }, { Key: 'env', Value: 'test' }, { Key: 'owner', Value: 'me' }]);

    await kinesis.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['drop', 'unknown'] }));
    await kinesis.send(new TagResourceCommand({ ResourceARN: arn, Tags: { env: 'prod' } }));
    const afterUntag = await kinesis.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    assert.deepEqual(sorted(afterUntag.Tags), [{ Key: 'env', Value: 'prod' }, { Key: 'owner', Value: 'me' }]);

    // Both tag APIs see the same tag set.
    const viaStream = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name }));
    assert.deepEqual(viaStream.Tags, [{ Key: 'env', Value: 'prod' }, { Key: 'owner', Value: 'me' }]);
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { added: 'viaStream' } }));
    const again = await kinesis.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    assert.ok(again.Tags.some((t) => t.Key === 'added' && t.Value === 'viaStream'));

    await expectError(kinesis.send(new TagResourceCommand({ ResourceARN: arn, Tags: {} })), 'ValidationException');
    await expectError(kinesis.send(new TagResourceCommand({ Tags: { a: 'b' } })), 'ValidationException',
      { message: "1 validation error detected: Value null at 'resourceARN' failed to satisfy constraint: Member must not be null" });
    await expectError(kinesis.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: [] })), 'ValidationException');
    await expectError(kinesis.send(new TagResourceCommand({ ResourceARN: arn, Tags: { 'bad%;key': 'v' } })),
      'InvalidArgumentException');
  });

  test('DeleteStream, then the name can be reused for a fresh stream', async () => {
    const name = uniqueName('recreate');
    await createActive(kinesis, { StreamName: name, ShardCount: 3, Tags: { gen: 'one' } });
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 100 }));
    const first = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;

    const del = await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
    assert.equal(del.$metadata.httpStatusCode, 200);
    await waitForGone(kinesis, name);
    await expectError(kinesis.send(new DescribeStreamCommand({ StreamName: name })), 'ResourceNotFoundException',
      { message: notFound(name) });
    const listed = await kinesis.send(new ListStreamsCommand({ ExclusiveStartStreamName: name.slice(0, -1) }));
    assert.ok(!listed.StreamNames.includes(name), 'a deleted stream is not listed');

    await sleep(5);
    await createActive(kinesis, { StreamName: name, ShardCount: 2 });
    const second = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;
    assert.equal(second.OpenShardCount, 2);
    assert.equal(second.RetentionPeriodHours, 24, 'retention is not inherited');
    assert.equal(second.StreamARN, first.StreamARN);
    assert.ok(second.StreamCreationTimestamp.getTime() > first.StreamCreationTimestamp.getTime(),
      'the new stream has a later creation time');
    const tags = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name }));
    assert.deepEqual(tags.Tags, [], 'tags are dropped with the stream');
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: name }));
    assertInitialShards(Shards, 2);
  });

  test('DeleteStream with EnforceConsumerDeletion', async () => {
    const name = uniqueName('enforce');
    await createActive(kinesis, { StreamName: name, ShardCount: 1 });
    await kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    await waitForGone(kinesis, name);
    const other = uniqueName('enforce-false');
    await createActive(kinesis, { StreamName: other, ShardCount: 1 });
    await kinesis.send(new DeleteStreamCommand({ StreamName: other, EnforceConsumerDeletion: false }));
    await waitForGone(kinesis, other);
    await expectError(kinesis.send(new DeleteStreamCommand({ StreamName: other, EnforceConsumerDeletion: true })),
      'ResourceNotFoundException', { message: notFound(other) });
  });

  test('DescribeAccountSettings', async () => {
    const out = await kinesis.send(new DescribeAccountSettingsCommand({}));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.equal(out.MinimumThroughputBillingCommitment?.Status, 'DISABLED');
  });

  test('DescribeLimits answers with numbers', async () => {
    const out = await kinesis.send(new DescribeLimitsCommand({}));
    assert.equal(out.ShardLimit, 20000);
    assert.equal(typeof out.OpenShardCount, 'number');
    assert.equal(typeof out.OnDemandStreamCount, 'number');
    assert.equal(out.OnDemandStreamCountLimit, 50);
  });
});

// ---------------------------------------------------------------------------------------------
describe('ListStreams and DescribeLimits on a dedicated server', SUITE, () => {
  const server = useServer();
  let kinesis;
  const names = ['ls-a', 'ls-b', 'ls-c', 'ls-d', 'ls-e'];
  before(() => { kinesis = server.client(); });

  test('empty server', async () => {
    const out = await kinesis.send(new ListStreamsCommand({}));
    assert.deepEqual(out.StreamNames, []);
    assert.equal(out.HasMoreStreams, false);
    assert.equal(out.NextToken, undefined);
    assert.deepEqual(out.StreamSummaries ?? [], []);
    const limits = await kinesis.send(new DescribeLimitsCommand({}));
    assert.deepEqual(body(limits), {
      ShardLimit: 20000, OpenShardCount: 0, OnDemandStreamCount: 0, OnDemandStreamCountLimit: 50,
    });
  });

  test('ListStreams lists every stream in name order with summaries', async () => {
    // Created out of order; CreateStream calls in parallel (5 concurrent CREATING streams are allowed).
    const t0 = Date.now();
    await Promise.all([...names].reverse().map((n, i) =>
      kinesis.send(new CreateStreamCommand(n === 'ls-c'
        ? { StreamName: n, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }
        : { StreamName: n, ShardCount: i + 1 }))));
    for (const n of names) await waitForStatus(kinesis, n);
    const t1 = Date.now();

    const out = await kinesis.send(new ListStreamsCommand({}));
    assert.deepEqual(out.StreamNames, names);
    assert.equal(out.HasMoreStreams, false);
    assert.equal(out.NextToken, undefined);
    assert.equal(out.StreamSummaries.length, 5);
    assert.deepEqual(out.StreamSummaries.map((s) => s.StreamName), names);
    for (const s of out.StreamSummaries) {
      assert.equal(s.StreamARN, streamArn(s.StreamName));
      assert.equal(s.StreamStatus, 'ACTIVE');
      assert.deepEqual(s.StreamModeDetails, { StreamMode: s.StreamName === 'ls-c' ? 'ON_DEMAND' : 'PROVISIONED' });
      assertDateBetween(s.StreamCreationTimestamp, t0, t1, 5, `${s.StreamName} StreamCreationTimestamp`);
    }
  });

  test('ListStreams paging with Limit and NextToken', async () => {
    const pages = [];
    let out = await kinesis.send(new ListStreamsCommand({ Limit: 2 }));
    pages.push(out);
    while (out.NextToken) {
      assert.ok(pages.length < 10, 'paging does not terminate');
      out = await kinesis.send(new ListStreamsCommand({ NextToken: out.NextToken, Limit: 2 }));
      pages.push(out);
    }
    assert.deepEqual(pages.map((p) => p.StreamNames), [['ls-a', 'ls-b'], ['ls-c', 'ls-d'], ['ls-e']]);
    assert.deepEqual(pages.map((p) => p.HasMoreStreams), [true, true, false]);
    assert.deepEqual(pages.map((p) => (p.StreamSummaries ?? []).map((s) => s.StreamName)),
      [['ls-a', 'ls-b'], ['ls-c', 'ls-d'], ['ls-e']]);
    assert.notEqual(pages[0].NextToken, pages[1].NextToken, 'a token must never repeat (botocore fails on that)');
    assert.equal(pages[2].NextToken, undefined);

    // NextToken without Limit continues with the default page size.
    const rest = await kinesis.send(new ListStreamsCommand({ NextToken: pages[0].NextToken }));
    assert.deepEqual(rest.StreamNames, ['ls-c', 'ls-d', 'ls-e']);
    assert.equal(rest.HasMoreStreams, false);
  });

  test('ListStreams with ExclusiveStartStreamName', async () => {
    const out = await kinesis.send(new ListStreamsCommand({ ExclusiveStartStreamName: 'ls-b' }));
    assert.deepEqual(out.StreamNames, ['ls-c', 'ls-d', 'ls-e']);
    assert.equal(out.HasMoreStreams, false);
    const between = await kinesis.send(new ListStreamsCommand({ ExclusiveStartStreamName: 'ls-bb', Limit: 1 }));
    assert.deepEqual(between.StreamNames, ['ls-c']);
    assert.equal(between.HasMoreStreams, true);
    const next = await kinesis.send(new ListStreamsCommand({ ExclusiveStartStreamName: 'ls-c', Limit: 1 }));
    assert.deepEqual(next.StreamNames, ['ls-d']);
    const end = await kinesis.send(new ListStreamsCommand({ ExclusiveStartStreamName: 'ls-e' }));
    assert.deepEqual(end.StreamNames, []);
    assert.equal(end.HasMoreStreams, false);
  });

  test('ListStreams validation', async () => {
    await expectError(kinesis.send(new ListStreamsCommand({ Limit: 0 })), 'ValidationException',
      { message: validation1('0', 'limit', 'have value greater than or equal to 1') });
    await expectError(kinesis.send(new ListStreamsCommand({ Limit: 10001 })), 'ValidationException',
      { message: validation1('10001', 'limit', 'have value less than or equal to 10000') });
    await expectError(kinesis.send(new ListStreamsCommand({ ExclusiveStartStreamName: 'no spaces' })), 'ValidationException',
      { message: validation1('no spaces', 'exclusiveStartStreamName', 'satisfy regular expression pattern: [a-zA-Z0-9_.-]+') });
    const big = await kinesis.send(new ListStreamsCommand({ Limit: 10000 }));
    assert.equal(big.StreamNames.length, 5);
  });

  test('ListStreams caps Limit at 100', async () => {
    const extra = Array.from({ length: 101 }, (_, i) => `zz-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < extra.length; i += 5) {
      const batch = extra.slice(i, i + 5);
      await Promise.all(batch.map((n) => kinesis.send(new CreateStreamCommand({ StreamName: n, ShardCount: 1 }))));
      for (const n of batch) await waitForStatus(kinesis, n);
    }
    const out = await kinesis.send(new ListStreamsCommand({ Limit: 10000 }));
    assert.equal(out.StreamNames.length, 100);
    assert.equal(out.HasMoreStreams, true);
    assert.ok(out.NextToken);
    const rest = await kinesis.send(new ListStreamsCommand({ NextToken: out.NextToken }));
    assert.equal(rest.StreamNames.length, 6);
    assert.equal(rest.HasMoreStreams, false);
    assert.deepEqual([...out.StreamNames, ...rest.StreamNames], [...names, ...extra]);
    await Promise.all(extra.map((n) => kinesis.send(new DeleteStreamCommand({ StreamName: n }))));
    for (const n of extra) await waitForGone(kinesis, n);
  });

  test('DescribeLimits counts open shards and on-demand streams', async () => {
    const limits = await kinesis.send(new DescribeLimitsCommand({}));
    // ls-e..ls-a were created with 1..5 shards except ls-c (ON_DEMAND, 4 shards): e=1, d=2, b=4, a=5.
    assert.deepEqual(body(limits), {
      ShardLimit: 20000, OpenShardCount: 1 + 2 + 4 + 4 + 5, OnDemandStreamCount: 1, OnDemandStreamCountLimit: 50,
    });
    await kinesis.send(new DeleteStreamCommand({ StreamName: 'ls-c' }));
    await waitForGone(kinesis, 'ls-c');
    const afterDelete = await kinesis.send(new DescribeLimitsCommand({}));
    assert.equal(afterDelete.OpenShardCount, 1 + 2 + 4 + 5);
    assert.equal(afterDelete.OnDemandStreamCount, 0);
  });
});

// ---------------------------------------------------------------------------------------------
describe('shard limit (--shard-limit 6)', SUITE, () => {
  const server = useServer({ shardLimit: 6 });

  test('CreateStream beyond the account shard limit → LimitExceededException', async () => {
    const kinesis = server.client({ maxAttempts: 1 }); // LimitExceededException is retried by default
    await createActive(kinesis, { StreamName: 'first', ShardCount: 4 });
    const limits = await kinesis.send(new DescribeLimitsCommand({}));
    assert.equal(limits.ShardLimit, 6);
    assert.equal(limits.OpenShardCount, 4);
    await expectError(kinesis.send(new CreateStreamCommand({ StreamName: 'second', ShardCount: 3 })),
      'LimitExceededException', {
        message: `This request would exceed the shard limit for the account ${ACCOUNT_ID} in ${REGION}. ` +
          'Current shard count for the account: 4. Limit: 6. Number of additional shards that would have resulted ' +
          'from this request: 3. Refer to the AWS Service Limits page ' +
          '(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to ' +
          'request higher limits.',
      });
    await expectError(kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'second' })), 'ResourceNotFoundException');
    await createActive(kinesis, { StreamName: 'second', ShardCount: 2 });
    assert.equal((await kinesis.send(new DescribeLimitsCommand({}))).OpenShardCount, 6);
    await expectError(kinesis.send(new CreateStreamCommand({ StreamName: 'third', ShardCount: 1 })), 'LimitExceededException');
    await kinesis.send(new DeleteStreamCommand({ StreamName: 'first' }));
    await waitForGone(kinesis, 'first');
    await createActive(kinesis, { StreamName: 'third', ShardCount: 4 });
  });
});

// ---------------------------------------------------------------------------------------------
describe('stream states on a server with slow transitions (3 s)', SUITE, () => {
  const server = useServer({ createDelayMs: 3000, deleteDelayMs: 3000, updateDelayMs: 3000 });
  let kinesis;
  before(() => { kinesis = server.client(); });

  test('a CREATING stream: described with no shards, ListShards → ResourceInUseException', async () => {
    const name = uniqueName('creating');
    const created = Date.now();
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 3, Tags: { at: 'create' } }));

    const { StreamDescription: d } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assert.equal(d.StreamStatus, 'CREATING');
    assert.deepEqual(d.Shards, []);
    assert.equal(d.HasMoreShards, false);
    assert.equal(d.StreamARN, streamArn(name));
    assert.ok(d.StreamCreationTimestamp instanceof Date);

    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(s.StreamStatus, 'CREATING');

    const listed = await kinesis.send(new ListStreamsCommand({}));
    assert.ok(listed.StreamNames.includes(name));
    assert.equal(listed.StreamSummaries.find((x) => x.StreamName === name)?.StreamStatus, 'CREATING');

    await expectError(kinesis.send(new ListShardsCommand({ StreamName: name })), 'ResourceInUseException');
    await expectError(kinesis.send(new ListShardsCommand({ StreamARN: streamArn(name) })), 'ResourceInUseException');
    await expectError(kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { k: 'v' } })),
      'ResourceInUseException');
    await expectError(kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 })), 'ResourceInUseException',
      { message: `Stream ${name} under account ${ACCOUNT_ID} already exists.` });
    // Tags given to CreateStream apply from CREATING on.
    const tags = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name }));
    assert.deepEqual(tags.Tags, [{ Key: 'at', Value: 'create' }]);

    assert.ok(Date.now() - created < 2500, 'the checks above must run while the stream is CREATING');
    await waitForStatus(kinesis, name, 'ACTIVE', 15_000);
    assert.ok(Date.now() - created >= 2900, 'CREATING lasts about --create-delay-ms');
    const shards = await kinesis.send(new ListShardsCommand({ StreamName: name }));
    assertInitialShards(shards.Shards, 3);
    const { StreamDescription: active } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assertInitialShards(active.Shards, 3);
  });

  test('a DELETING stream is still described, then disappears', async () => {
    const name = uniqueName('deleting');
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    await waitForStatus(kinesis, name, 'ACTIVE', 15_000);
    const t0 = Date.now();
    await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(s.StreamStatus, 'DELETING');
    const { StreamDescription: d } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assert.equal(d.StreamStatus, 'DELETING');
    const listed = await kinesis.send(new ListStreamsCommand({}));
    assert.equal(listed.StreamSummaries.find((x) => x.StreamName === name)?.StreamStatus, 'DELETING');
    assert.ok(Date.now() - t0 < 2500, 'the checks above must run while the stream is DELETING');
    await waitForGone(kinesis, name, 15_000);
    assert.ok(Date.now() - t0 >= 2900, 'DELETING lasts about --delete-delay-ms');
  });

  test('a CREATING stream can be deleted', async () => {
    const name = uniqueName('delcreating');
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
    await waitForGone(kinesis, name, 15_000);
    await expectError(kinesis.send(new ListShardsCommand({ StreamName: name })), 'ResourceNotFoundException',
      { message: notFound(name) });
  });
});

// ---------------------------------------------------------------------------------------------
describe('NextToken expiry (--next-token-ttl-seconds 1)', SUITE, () => {
  const server = useServer({ nextTokenTtlSeconds: 1 });

  test('ListShards and ListStreams tokens expire → ExpiredNextTokenException', async () => {
    const kinesis = server.client();
    await createActive(kinesis, { StreamName: 'ttl-a', ShardCount: 3 });
    await createActive(kinesis, { StreamName: 'ttl-b', ShardCount: 1 });

    const shards = await kinesis.send(new ListShardsCommand({ StreamName: 'ttl-a', MaxResults: 1 }));
    assert.ok(shards.NextToken);
    const streams = await kinesis.send(new ListStreamsCommand({ Limit: 1 }));
    assert.ok(streams.NextToken);
    // Fresh tokens work.
    const fresh = await kinesis.send(new ListShardsCommand({ NextToken: shards.NextToken, MaxResults: 1 }));
    assert.deepEqual(fresh.Shards.map((s) => s.ShardId), [shardId(1)]);

    await sleep(2500);
    await expectError(kinesis.send(new ListShardsCommand({ NextToken: shards.NextToken })), 'ExpiredNextTokenException');
    await expectError(kinesis.send(new ListShardsCommand({ NextToken: fresh.NextToken })), 'ExpiredNextTokenException');
    await expectError(kinesis.send(new ListStreamsCommand({ NextToken: streams.NextToken })), 'ExpiredNextTokenException');

    // A new listing gives a new, valid token.
    const again = await kinesis.send(new ListShardsCommand({ StreamName: 'ttl-a', MaxResults: 2 }));
    const page2 = await kinesis.send(new ListShardsCommand({ NextToken: again.NextToken }));
    assert.deepEqual(page2.Shards.map((s) => s.ShardId), [shardId(2)]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('persistence across kill -9', SUITE, () => {
  const server = useServer();

  async function snapshot(kinesis, names) {
    const out = {};
    for (const name of names) {
      out[name] = {
        describe: body(await kinesis.send(new DescribeStreamCommand({ StreamName: name }))),
        summary: body(await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))),
        tags: body(await kinesis.send(new ListTagsForStreamCommand({ StreamName: name }))),
        shards: body(await kinesis.send(new ListShardsCommand({ StreamName: name }))),
      };
    }
    out.list = body(await kinesis.send(new ListStreamsCommand({})));
    out.limits = body(await kinesis.send(new DescribeLimitsCommand({})));
    return out;
  }

  test('streams, shards, tags, retention and deletions survive SIGKILL', async () => {
    let kinesis = server.client();
    await createActive(kinesis, { StreamName: 'p-three', ShardCount: 3, Tags: { team: 'a' } });
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: 'p-three', Tags: { env: 'prod', tmp: 'x' } }));
    await kinesis.send(new RemoveTagsFromStreamCommand({ StreamName: 'p-three', TagKeys: ['tmp'] }));
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'p-three', RetentionPeriodHours: 72 }));
    await createActive(kinesis, { StreamName: 'p-ondemand', StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    await kinesis.send(new TagResourceCommand({ ResourceARN: streamArn('p-ondemand'), Tags: { via: 'arn' } }));
    await createActive(kinesis, { StreamName: 'p-gone', ShardCount: 2 });
    await kinesis.send(new DeleteStreamCommand({ StreamName: 'p-gone' }));
    await waitForGone(kinesis, 'p-gone');
    await createActive(kinesis, { StreamName: 'p-again', ShardCount: 5, Tags: { gen: '1' } });
    await kinesis.send(new DeleteStreamCommand({ StreamName: 'p-again' }));
    await waitForGone(kinesis, 'p-again');
    await createActive(kinesis, { StreamName: 'p-again', ShardCount: 2 });
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'p-again', RetentionPeriodHours: 200 }));
    await kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: 'p-again', RetentionPeriodHours: 100 }));

    const names = ['p-again', 'p-ondemand', 'p-three'];
    const snap = await snapshot(kinesis, names);
    assert.deepEqual(snap.list.StreamNames, names);
    assert.equal(snap['p-three'].summary.StreamDescriptionSummary.RetentionPeriodHours, 72);
    assert.deepEqual(snap['p-three'].tags.Tags, [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'a' }]);

    await server.kill9();
    await server.restart();
    kinesis = server.client();

    assert.deepEqual(await snapshot(kinesis, names), snap);
    await expectError(kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'p-gone' })), 'ResourceNotFoundException');
    assert.deepEqual((await kinesis.send(new ListTagsForResourceCommand({ ResourceARN: streamArn('p-ondemand') }))).Tags,
      [{ Key: 'via', Value: 'arn' }]);

    // The restarted server keeps working and the duplicate check still applies.
    await expectError(kinesis.send(new CreateStreamCommand({ StreamName: 'p-three', ShardCount: 1 })), 'ResourceInUseException');
    await createActive(kinesis, { StreamName: 'p-new', ShardCount: 1 });
  });

  test('an acknowledged change is durable even when the server is killed right after', async () => {
    let kinesis = server.client();
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: 'p-three', Tags: { last: 'write' } }));
    await kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: 'p-three', RetentionPeriodHours: 48 }));
    await server.kill9();
    await server.restart();
    kinesis = server.client();
    const tags = await kinesis.send(new ListTagsForStreamCommand({ StreamName: 'p-three' }));
    assert.ok(tags.Tags.some((t) => t.Key === 'last' && t.Value === 'write'), JSON.stringify(tags.Tags));
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'p-three' }));
    assert.equal(s.RetentionPeriodHours, 48);
    assert.equal(s.StreamStatus, 'ACTIVE');
  });

  test('a stream created just before SIGKILL exists after restart and becomes ACTIVE', async () => {
    let kinesis = server.client();
    await kinesis.send(new CreateStreamCommand({ StreamName: 'p-inflight', ShardCount: 2 }));
    await server.kill9();
    await server.restart();
    kinesis = server.client();
    await waitForStatus(kinesis, 'p-inflight', 'ACTIVE');
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: 'p-inflight' }));
    assertInitialShards(Shards, 2);
  });

  test('a stream deleted just before SIGKILL is gone after restart', async () => {
    let kinesis = server.client();
    await kinesis.send(new DeleteStreamCommand({ StreamName: 'p-new' }));
    await server.kill9();
    await server.restart();
    kinesis = server.client();
    await waitForGone(kinesis, 'p-new');
  });

  test('state survives a graceful restart (SIGTERM) too', async () => {
    let kinesis = server.client();
    const snap = await snapshot(kinesis, ['p-three']);
    await server.restart();
    kinesis = server.client();
    assert.deepEqual(await snapshot(kinesis, ['p-three']), snap);
  });
});
