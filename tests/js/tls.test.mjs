// HTTPS with the AWS SDK for JavaScript v3: its HTTP/2 handler over TLS (ALPN h2) against the
// certificate shoal generates in <data-dir>/tls/cert.pem, passed either through the handler's
// connect options (ca) or through NODE_EXTRA_CA_CERTS (read at process start, so in a child).
//
// Run: cd tests/js && SHOAL_BIN=../../build/shoal node --test tls.test.mjs

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  PutRecordCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttp2Handler } from '@smithy/node-http-handler';
import { sleep, uniqueName, useServer } from './harness.mjs';
import { waitForStatus } from './util.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SUITE = { timeout: 120_000 };
const server = useServer({ extraArgs: ['--consumer-create-delay-ms', '100'] });

const certPath = () => path.join(server.dataDir, 'tls', 'cert.pem');
const httpsEndpoint = (host = '127.0.0.1') => `https://${host}:${server.port}`;

function tlsClient(ca, host) {
  return server.client({
    endpoint: httpsEndpoint(host),
    requestHandler: new NodeHttp2Handler({ nodeHttp2ConnectOptions: { ca } }),
  });
}

describe('TLS with the JS SDK v3', SUITE, () => {
  test('the server negotiates h2 by ALPN with a Node http2 client', async () => {
    const session = http2.connect(httpsEndpoint(), { ca: fs.readFileSync(certPath()) });
    try {
      await new Promise((resolve, reject) => {
        session.once('connect', resolve);
        session.once('error', reject);
      });
      assert.equal(session.alpnProtocol, 'h2');
      assert.equal(session.encrypted, true);
    } finally {
      session.close();
    }
  });

  test('PutRecord and GetRecords over HTTP/2 + TLS with the CA in the connect options', async () => {
    const kinesis = tlsClient(fs.readFileSync(certPath()));
    const name = uniqueName('tls');
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    await waitForStatus(kinesis, name, 'ACTIVE');
    const data = new Uint8Array([0, 1, 2, 250, 255]);
    const put = await kinesis.send(new PutRecordCommand({ StreamName: name, Data: data, PartitionKey: 'pk' }));
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({
      StreamName: name, ShardId: put.ShardId, ShardIteratorType: 'TRIM_HORIZON',
    }));
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    assert.equal(Records.length, 1);
    assert.deepEqual(Array.from(Records[0].Data), Array.from(data));
    assert.equal(Records[0].SequenceNumber, put.SequenceNumber);
    await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
  });

  test('the host name localhost verifies too', async () => {
    const kinesis = tlsClient(fs.readFileSync(certPath()), 'localhost');
    const out = await kinesis.send(new ListStreamsCommand({}));
    assert.ok(Array.isArray(out.StreamNames));
  });

  test('a client that does not trust the certificate fails', async () => {
    const kinesis = server.client({
      endpoint: httpsEndpoint(),
      requestHandler: new NodeHttp2Handler({}),
      maxAttempts: 1,
    });
    await assert.rejects(kinesis.send(new ListStreamsCommand({})),
      (err) => /certificate|self.signed/i.test(`${err.code} ${err.message}`));
  });

  test('SubscribeToShard over HTTP/2 + TLS pushes every record', async () => {
    const kinesis = tlsClient(fs.readFileSync(certPath()));
    const name = uniqueName('tls-sub');
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    await waitForStatus(kinesis, name, 'ACTIVE');
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    const { Consumer } = await kinesis.send(new RegisterStreamConsumerCommand({
      StreamARN: StreamDescriptionSummary.StreamARN, ConsumerName: 'tls',
    }));
    for (let i = 0; ; i++) {
      const { ConsumerDescription } = await kinesis.send(
        new DescribeStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
      if (ConsumerDescription.ConsumerStatus === 'ACTIVE') break;
      assert.ok(i < 200, 'consumer did not become ACTIVE');
      await sleep(50);
    }
    const sent = ['a', 'b', 'c', 'd'];
    await kinesis.send(new PutRecordCommand({ StreamName: name, Data: Buffer.from(sent[0]), PartitionKey: 'k' }));
    const out = await kinesis.send(new SubscribeToShardCommand({
      ConsumerARN: Consumer.ConsumerARN, ShardId: 'shardId-000000000000',
      StartingPosition: { Type: 'TRIM_HORIZON' },
    }));
    const got = [];
    for await (const event of out.EventStream) {
      for (const record of event.SubscribeToShardEvent?.Records ?? []) got.push(Buffer.from(record.Data).toString());
      if (got.length === 1) {  // the rest is pushed while we are subscribed
        for (const data of sent.slice(1)) {
          await kinesis.send(new PutRecordCommand({ StreamName: name, Data: Buffer.from(data), PartitionKey: 'k' }));
        }
      }
      if (got.length >= sent.length) break;
    }
    assert.deepEqual(got, sent);
  });

  test('NODE_EXTRA_CA_CERTS makes the default client trust shoal', async () => {
    const script = `
      import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
      const kinesis = new KinesisClient({ endpoint: process.env.ENDPOINT, region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
      const out = await kinesis.send(new ListStreamsCommand({}));
      kinesis.destroy();
      console.log(JSON.stringify(out.StreamNames));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: HERE,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath(), ENDPOINT: httpsEndpoint() },
      timeout: 60_000,
    });
    assert.ok(Array.isArray(JSON.parse(stdout)));
  });
});
