// Transport checks: the JS SDK really speaks HTTP/2 (prior knowledge) to shoal, the server speaks
// HTTP/1.1 on the same port, and responses are well-formed on both (headers, errors, request ids).

import assert from 'node:assert/strict';
import http from 'node:http';
import { before, describe, test } from 'node:test';
import {
  CreateStreamCommand,
  DescribeLimitsCommand,
  DescribeStreamCommand,
  ListStreamsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { uniqueName, useServer } from './harness.mjs';
import { H2_PREFACE, h1request, h2connect, h2request, startSniffingProxy } from './raw.mjs';
import { assertInitialShards, expectError, waitForStatus } from './util.mjs';

const CONNECTION_SPECIFIC = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];

function assertDateHeader(value) {
  assert.ok(value, 'Date header present');
  assert.match(value, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/,
    `Date must be an RFC 1123 date: ${value}`);
  const skew = Math.abs(Date.parse(value) - Date.now());
  assert.ok(skew < 60_000, `Date header ${value} is ${skew} ms away from now`);
}

/** Checks the header block of an HTTP/2 response as node received it (rawHeaders keeps wire order). */
function assertH2Headers(res) {
  const names = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) names.push(res.rawHeaders[i]);
  for (const n of names) {
    assert.equal(n, n.toLowerCase(), `HTTP/2 header names must be lower-case: ${n}`);
    assert.ok(!CONNECTION_SPECIFIC.includes(n), `connection-specific header over HTTP/2: ${n}`);
  }
  assert.equal(names[0], ':status', 'the pseudo-header comes first');
  assert.ok(res.headers['x-amzn-requestid'], 'x-amzn-requestid present');
  assertDateHeader(res.headers.date);
  if (res.headers['content-length'] !== undefined) {
    assert.equal(Number(res.headers['content-length']), res.body.length, 'content-length matches the body');
  }
}

describe('HTTP/2 and HTTP/1.1 on one port', { timeout: 120_000 }, () => {
  const server = useServer();
  let streamName;

  before(async () => {
    const kinesis = server.client();
    streamName = uniqueName('h2');
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 2 }));
    await waitForStatus(kinesis, streamName);
  });

  test('the SDK default request handler is the HTTP/2 one', async () => {
    const kinesis = server.client();
    const out = await kinesis.send(new DescribeLimitsCommand({}));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.equal(kinesis.config.requestHandler.constructor.name, 'NodeHttp2Handler');
  });

  test('on the wire, the default SDK client sends the HTTP/2 connection preface', async () => {
    const proxy = await startSniffingProxy(server.port);
    try {
      const kinesis = server.client({ endpoint: `http://127.0.0.1:${proxy.port}` });
      const out = await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }));
      assertInitialShards(out.StreamDescription.Shards, 2);
      assert.ok(out.$metadata.requestId, '$metadata.requestId from x-amzn-requestid');
      kinesis.destroy();
      assert.ok(proxy.firstBytes.length >= 1, 'the client connected through the proxy');
      for (const b of proxy.firstBytes) {
        assert.equal(b.subarray(0, 24).toString('latin1'), H2_PREFACE, 'client speaks HTTP/2 prior knowledge');
      }
    } finally {
      await proxy.close();
    }
  });

  test('the SDK forced to HTTP/1.1 (NodeHttpHandler) works too', async () => {
    const proxy = await startSniffingProxy(server.port);
    try {
      const kinesis = server.client({
        endpoint: `http://127.0.0.1:${proxy.port}`,
        requestHandler: new NodeHttpHandler(),
      });
      const out = await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }));
      assertInitialShards(out.StreamDescription.Shards, 2);
      assert.ok(out.$metadata.requestId);
      await expectError(kinesis.send(new DescribeStreamCommand({ StreamName: 'no-such-stream' })), 'ResourceNotFoundException',
        { message: 'Stream no-such-stream under account 000000000000 not found.' });
      const name = uniqueName('h1');
      await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      await waitForStatus(kinesis, name);
      kinesis.destroy();
      assert.ok(proxy.firstBytes.length >= 1);
      for (const b of proxy.firstBytes) {
        assert.match(b.toString('latin1'), /^POST \/ HTTP\/1\.1\r\n/, 'client speaks HTTP/1.1');
      }
    } finally {
      await proxy.close();
    }
  });

  test('many concurrent SDK calls (one HTTP/2 connection each) all succeed', async () => {
    const kinesis = server.client();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2
      ? kinesis.send(new ListStreamsCommand({}))
      : kinesis.send(new DescribeStreamCommand({ StreamName: streamName })))));
    const ids = new Set(results.map((r) => r.$metadata.requestId));
    assert.equal(ids.size, 40, 'every response has its own request id');
  });

  test('raw HTTP/2 prior-knowledge request: status, lower-case headers, no connection headers', async () => {
    const session = await h2connect(server.port);
    try {
      const res = await h2request(session, server.port, 'ListStreams', '{}');
      assert.equal(res.status, 200, res.body.toString());
      assertH2Headers(res);
      assert.equal(res.headers['content-type'], 'application/x-amz-json-1.1');
      const out = JSON.parse(res.body.toString());
      assert.ok(out.StreamNames.includes(streamName));
      assert.equal(typeof out.HasMoreStreams, 'boolean');
      assert.equal(res.headers['x-amz-crc32'], undefined, 'no x-amz-crc32 (Java validates it)');
      assert.equal(res.headers['content-encoding'], undefined, 'responses are not compressed');
    } finally {
      session.close();
    }
  });

  test('raw HTTP/2: empty-output operation answers 200 with an empty body or {}', async () => {
    const session = await h2connect(server.port);
    try {
      const res = await h2request(session, server.port, 'AddTagsToStream',
        { StreamName: streamName, Tags: { raw: 'h2' } });
      assert.equal(res.status, 200, res.body.toString());
      assertH2Headers(res);
      assert.ok(['', '{}'].includes(res.body.toString()), `body: ${res.body.toString()}`);
    } finally {
      session.close();
    }
  });

  test('raw HTTP/2: several concurrent streams on one session', async () => {
    const session = await h2connect(server.port);
    try {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 3 === 0
        ? h2request(session, server.port, 'DescribeStreamSummary', { StreamName: streamName })
        : i % 3 === 1
          ? h2request(session, server.port, 'ListShards', { StreamName: streamName })
          : h2request(session, server.port, 'DescribeStream', { StreamName: 'missing-stream' }))));
      results.forEach((res, i) => {
        assertH2Headers(res);
        const out = JSON.parse(res.body.toString());
        if (i % 3 === 0) {
          assert.equal(res.status, 200);
          assert.equal(out.StreamDescriptionSummary.StreamName, streamName);
        } else if (i % 3 === 1) {
          assert.equal(res.status, 200);
          assert.equal(out.Shards.length, 2);
        } else {
          assert.equal(res.status, 400);
          assert.equal(out.__type, 'ResourceNotFoundException');
          assert.equal(res.headers['x-amzn-errortype'], 'ResourceNotFoundException');
        }
      });
      assert.equal(new Set(results.map((r) => r.headers['x-amzn-requestid'])).size, results.length);
    } finally {
      session.close();
    }
  });

  test('raw HTTP/2 errors: JSON {__type, message} plus x-amzn-errortype', async () => {
    const session = await h2connect(server.port);
    try {
      const cases = [
        { target: 'ListStreams', body: '{}', opts: { sign: false }, type: 'MissingAuthenticationTokenException',
          message: 'Missing Authentication Token' },
        { target: 'NoSuchOperation', body: '{}', type: 'UnknownOperationException' },
        { target: 'Kinesis_20131202.', body: '{}', type: 'UnknownOperationException' },
        { target: 'DynamoDB_20120810.ListTables', body: '{}', type: 'UnknownOperationException' },
        { target: 'DescribeStream', body: '{"StreamName": ', type: 'SerializationException' },
        { target: 'DescribeStream', body: '[1,2]', type: 'SerializationException' },
        { target: 'DescribeStream', body: '{"StreamName": {"a": 1}}', type: 'SerializationException' },
        { target: 'DescribeStream', body: '{"StreamName": "x", "Limit": "abc"}', type: 'SerializationException' },
        { target: 'DescribeStream', body: { StreamName: 'bad name' }, type: 'ValidationException',
          message: "1 validation error detected: Value 'bad name' at 'streamName' failed to satisfy constraint: " +
            'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+' },
      ];
      for (const c of cases) {
        const res = await h2request(session, server.port, c.target, c.body, c.opts);
        const what = `${c.target} ${JSON.stringify(c.body)}`;
        assert.equal(res.status, 400, `${what}: ${res.body.toString()}`);
        assertH2Headers(res);
        assert.equal(res.headers['x-amzn-errortype'], c.type, what);
        assert.match(res.headers['content-type'] ?? '', /^application\/(x-amz-json-1\.1|json)/, what);
        const out = JSON.parse(res.body.toString());
        assert.equal(out.__type, c.type, what);
        if (c.message) assert.equal(out.message ?? out.Message, c.message, what);
      }
    } finally {
      session.close();
    }
  });

  test('raw HTTP/1.1 request on the same port', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await h1request(server.port, 'ListStreams', '{}', { agent });
      assert.equal(first.status, 200, first.body.toString());
      assert.ok(first.headers['x-amzn-requestid']);
      assertDateHeader(first.headers.date);
      assert.equal(first.headers['content-type'], 'application/x-amz-json-1.1');
      assert.equal(Number(first.headers['content-length']), first.body.length);
      assert.ok(JSON.parse(first.body.toString()).StreamNames.includes(streamName));
      // Keep-alive: a second request reuses the connection.
      const second = await h1request(server.port, 'DescribeStreamSummary', { StreamName: streamName }, { agent });
      assert.equal(second.status, 200);
      assert.equal(second.socket, first.socket, 'HTTP/1.1 keep-alive reuses the connection');
      const err = await h1request(server.port, 'NoSuchOperation', '{}', { agent });
      assert.equal(err.status, 400);
      assert.equal(err.headers['x-amzn-errortype'], 'UnknownOperationException');
      assert.ok(err.headers['x-amzn-requestid']);
      assertDateHeader(err.headers.date);
      assert.equal(JSON.parse(err.body.toString()).__type, 'UnknownOperationException');
      const unauth = await h1request(server.port, 'ListStreams', '{}', { sign: false });
      assert.equal(unauth.status, 400);
      assert.equal(JSON.parse(unauth.body.toString()).__type, 'MissingAuthenticationTokenException');
      assert.equal(unauth.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');
    } finally {
      agent.destroy();
    }
  });
});
