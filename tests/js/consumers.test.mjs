// End-to-end tests of enhanced fan-out consumers (RegisterStreamConsumer, DescribeStreamConsumer,
// ListStreamConsumers, DeregisterStreamConsumer, DeleteStream's EnforceConsumerDeletion) with the
// AWS SDK for JavaScript v3 over HTTP/2 (the SDK's default handler against http://).
//
// Run: cd tests/js && npm ci && SHOAL_BIN=../../build/shoal node --test consumers.test.mjs

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  ListStreamConsumersCommand,
  ListTagsForResourceCommand,
  RegisterStreamConsumerCommand,
  TagResourceCommand,
  paginateListStreamConsumers,
} from '@aws-sdk/client-kinesis';
import { ACCOUNT_ID, sleep, streamArn, uniqueName, useServer } from './harness.mjs';
import { expectError, waitForGone, waitForStatus } from './util.mjs';

const SUITE = { timeout: 180_000 };
const CONSUMER_DELAY_MS = 300;

async function describeConsumer(kinesis, input) {
  return (await kinesis.send(new DescribeStreamConsumerCommand(input))).ConsumerDescription;
}

/** Polls DescribeStreamConsumer until the consumer has `status`. */
async function waitForConsumer(kinesis, consumerArn, status, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    last = (await describeConsumer(kinesis, { ConsumerARN: consumerArn })).ConsumerStatus;
    if (last === status) return;
    await sleep(25);
  }
  throw new Error(`consumer ${consumerArn} did not reach ${status} (last: ${last})`);
}

/** Polls until DescribeStreamConsumer answers ResourceNotFoundException. */
async function waitForConsumerGone(kinesis, consumerArn, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await describeConsumer(kinesis, { ConsumerARN: consumerArn });
    } catch (err) {
      if (err.name === 'ResourceNotFoundException') return;
      throw err;
    }
    await sleep(25);
  }
  throw new Error(`consumer ${consumerArn} still exists`);
}

async function activeStream(kinesis) {
  const name = uniqueName('consumers');
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  await waitForStatus(kinesis, name);
  return name;
}

describe('enhanced fan-out consumers over HTTP/2', SUITE, () => {
  const server = useServer({
    extraArgs: ['--consumer-create-delay-ms', String(CONSUMER_DELAY_MS),
      '--consumer-delete-delay-ms', String(CONSUMER_DELAY_MS)],
  });

  test('register: CREATING, then ACTIVE; describe by ARN and by stream + name', async () => {
    const kinesis = server.client();
    const name = await activeStream(kinesis);
    const before = Date.now();
    const out = await kinesis.send(new RegisterStreamConsumerCommand({
      StreamARN: streamArn(name), ConsumerName: 'app-1', Tags: { team: 'data' },
    }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    const c = out.Consumer;
    assert.equal(c.ConsumerName, 'app-1');
    assert.equal(c.ConsumerStatus, 'CREATING');
    assert.ok(c.ConsumerCreationTimestamp instanceof Date);
    const createdS = Math.floor(c.ConsumerCreationTimestamp.getTime() / 1000);
    assert.ok(Math.abs(c.ConsumerCreationTimestamp.getTime() - before) < 5000);
    assert.equal(c.ConsumerARN, `${streamArn(name)}/consumer/app-1:${createdS}`);
    await waitForConsumer(kinesis, c.ConsumerARN, 'ACTIVE');
    const byName = await describeConsumer(kinesis, { StreamARN: streamArn(name), ConsumerName: 'app-1' });
    assert.deepEqual(byName, {
      ConsumerName: 'app-1',
      ConsumerARN: c.ConsumerARN,
      ConsumerStatus: 'ACTIVE',
      ConsumerCreationTimestamp: c.ConsumerCreationTimestamp,
      StreamARN: streamArn(name),
    });
    const tags = await kinesis.send(new ListTagsForResourceCommand({ ResourceARN: c.ConsumerARN }));
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'data' }]);
    await kinesis.send(new TagResourceCommand({ ResourceARN: c.ConsumerARN, Tags: { k: 'v' } }));
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(summary.StreamDescriptionSummary.ConsumerCount, 1);
  });

  test('errors: duplicate name, unknown consumer, bad lookups, model constraints', async () => {
    const kinesis = server.client();
    const name = await activeStream(kinesis);
    await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn(name), ConsumerName: 'c' }));
    await expectError(
      kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn(name), ConsumerName: 'c' })),
      'ResourceInUseException',
      { message: `Consumer c under stream ${name} under account ${ACCOUNT_ID} already exists.` });
    await expectError(
      kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn(name), ConsumerName: 'nope' })),
      'ResourceNotFoundException',
      { message: `Consumer nope under stream ${name} under account ${ACCOUNT_ID} not found.` });
    await expectError(kinesis.send(new DescribeStreamConsumerCommand({})), 'InvalidArgumentException',
      { message: 'Either ConsumerARN or both StreamARN and ConsumerName must be provided.' });
    await expectError(
      kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn(name), ConsumerName: 'bad name' })),
      'ValidationException', { message: /at 'consumerName' failed to satisfy constraint/ });
    await expectError(
      kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn(name), MaxResults: 0 })),
      'ValidationException', { message: /at 'maxResults' failed to satisfy constraint/ });
  });

  test('list: pages with MaxResults/NextToken and the SDK paginator', async () => {
    const kinesis = server.client();
    const name = await activeStream(kinesis);
    const names = ['e', 'a', 'd', 'b', 'c'];
    for (const n of names) {
      // One at a time: AWS (and shoal) allow 5 consumers CREATING at once in the account.
      const out = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn(name), ConsumerName: n }));
      await waitForConsumer(kinesis, out.Consumer.ConsumerARN, 'ACTIVE');
    }
    const first = await kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn(name), MaxResults: 2 }));
    assert.deepEqual(first.Consumers.map((c) => c.ConsumerName), ['a', 'b']);
    assert.ok(first.NextToken);
    const seen = [];
    let pages = 0;
    for await (const page of paginateListStreamConsumers({ client: kinesis, pageSize: 2 },
      { StreamARN: streamArn(name) })) {
      pages += 1;
      seen.push(...page.Consumers.map((c) => c.ConsumerName));
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...names].sort());
  });

  test('deregister, and DeleteStream with EnforceConsumerDeletion', async () => {
    const kinesis = server.client();
    const name = await activeStream(kinesis);
    const a = (await kinesis.send(new RegisterStreamConsumerCommand({
      StreamARN: streamArn(name), ConsumerName: 'a',
    }))).Consumer.ConsumerARN;
    await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn(name), ConsumerName: 'b' }));
    await waitForConsumer(kinesis, a, 'ACTIVE');
    await kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: a }));
    assert.equal((await describeConsumer(kinesis, { ConsumerARN: a })).ConsumerStatus, 'DELETING');
    await waitForConsumerGone(kinesis, a);
    await expectError(kinesis.send(new DeleteStreamCommand({ StreamName: name })),
      'ResourceInUseException', { message: /registered consumer/ });
    await kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    await waitForGone(kinesis, name);
    await expectError(
      kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn(name), ConsumerName: 'b' })),
      'ResourceNotFoundException');
  });
});
