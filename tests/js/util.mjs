// Small helpers shared by the JavaScript end-to-end tests.

import assert from 'node:assert/strict';
import {
  DescribeStreamSummaryCommand,
} from '@aws-sdk/client-kinesis';
import { sleep } from './harness.mjs';

export const MAX_HASH = (1n << 128n) - 1n;

/** Expected initial hash-key layout for a stream created with n shards (spec §4.2). */
export function expectedLayout(n) {
  const M = 1n << 128n;
  const step = M / BigInt(n);
  const out = [];
  for (let i = 0; i < n; i++) {
    const start = BigInt(i) * step;
    const end = i === n - 1 ? M - 1n : BigInt(i + 1) * step - 1n;
    out.push({
      ShardId: shardId(i),
      StartingHashKey: start.toString(),
      EndingHashKey: end.toString(),
    });
  }
  return out;
}

export function shardId(i) {
  return `shardId-${String(i).padStart(12, '0')}`;
}

/** Asserts that `shards` (from DescribeStream or ListShards) is the initial layout for n shards. */
export function assertInitialShards(shards, n) {
  assert.ok(Array.isArray(shards), 'Shards must be an array');
  assert.deepEqual(
    shards.map((s) => ({ ShardId: s.ShardId, ...s.HashKeyRange })),
    expectedLayout(n),
  );
  for (const s of shards) {
    assert.equal(s.ParentShardId, undefined, `${s.ShardId} must have no parent`);
    assert.equal(s.AdjacentParentShardId, undefined, `${s.ShardId} must have no adjacent parent`);
    assert.match(s.SequenceNumberRange?.StartingSequenceNumber ?? '', /^(0|[1-9]\d{0,128})$/,
      `${s.ShardId} StartingSequenceNumber`);
    assert.equal(s.SequenceNumberRange.EndingSequenceNumber, undefined, `${s.ShardId} must be open`);
  }
}

/**
 * Awaits `promise`, which must reject with a service error called `name` (HTTP 400 unless `status`
 * says otherwise). `message` may be a string (exact) or a RegExp. Returns the error.
 */
export async function expectError(promise, name, { message, status = 400 } = {}) {
  let error = null;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  assert.ok(error, `expected ${name}, but the call succeeded`);
  const names = Array.isArray(name) ? name : [name];
  assert.ok(names.includes(error.name),
    `expected ${names.join(' or ')}, got ${error.name}: ${error.message}` +
    ` (HTTP ${error.$metadata?.httpStatusCode})`);
  assert.equal(error.$metadata?.httpStatusCode, status,
    `HTTP status of ${error.name}: ${error.message}`);
  assert.ok(error.$metadata?.requestId, `${error.name} must carry x-amzn-RequestId`);
  if (message instanceof RegExp) {
    assert.match(error.message, message);
  } else if (message !== undefined) {
    assert.equal(error.message, message);
  }
  return error;
}

/** Polls DescribeStreamSummary until the stream has `status` (default ACTIVE). */
export async function waitForStatus(client, streamName, status = 'ACTIVE', timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    try {
      const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
      last = out.StreamDescriptionSummary.StreamStatus;
      if (last === status) return out.StreamDescriptionSummary;
    } catch (err) {
      if (err.name !== 'ResourceNotFoundException') throw err;
      last = 'ResourceNotFoundException';
    }
    await sleep(25);
  }
  throw new Error(`stream ${streamName} did not reach ${status} within ${timeoutMs} ms (last: ${last})`);
}

/** Polls until the stream is gone (DescribeStreamSummary answers ResourceNotFoundException). */
export async function waitForGone(client, streamName, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    try {
      const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
      last = out.StreamDescriptionSummary.StreamStatus;
    } catch (err) {
      if (err.name === 'ResourceNotFoundException') return;
      throw err;
    }
    await sleep(25);
  }
  throw new Error(`stream ${streamName} still exists after ${timeoutMs} ms (last: ${last})`);
}

/** Asserts `value` is a Date within [lo - slackMs, hi + slackMs] (epoch ms). */
export function assertDateBetween(value, lo, hi, slackMs, what) {
  assert.ok(value instanceof Date, `${what} must be a Date, got ${typeof value}: ${value}`);
  const t = value.getTime();
  assert.ok(Number.isFinite(t), `${what} must be a valid date`);
  assert.ok(t >= lo - slackMs && t <= hi + slackMs,
    `${what} = ${value.toISOString()} (${t}) is not within [${lo - slackMs}, ${hi + slackMs}]`);
}
