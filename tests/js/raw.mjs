// Raw HTTP/2 (prior knowledge) and HTTP/1.1 requests with SigV4 signing, for transport-level checks
// the SDK hides (header spelling, connection-specific headers, error bodies).

import crypto from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { CREDENTIALS, REGION } from './harness.mjs';

const sha256hex = (data) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

export function amzDate(now = new Date()) {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * Returns { 'x-amz-date', authorization } for a request whose headers (lower-case names; pseudo
 * header ':authority' allowed, as the JS SDK signs it over HTTP/2) are all signed.
 */
export function sigv4(method, path, headers, body, {
  region = REGION, service = 'kinesis', accessKeyId = CREDENTIALS.accessKeyId,
  secretAccessKey = CREDENTIALS.secretAccessKey, now = new Date(),
} = {}) {
  const date = amzDate(now);
  const day = date.slice(0, 8);
  const all = { ...headers, 'x-amz-date': date };
  const names = Object.keys(all).map((n) => n.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), String(v).trim().replace(/\s+/g, ' ')]));
  const canonical = [
    method, path, '',
    names.map((n) => `${n}:${lower[n]}\n`).join(''),
    names.join(';'),
    sha256hex(body),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, sha256hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), service), 'aws4_request');
  const signature = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  return {
    'x-amz-date': date,
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

function toBuffer(body) {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(JSON.stringify(body));
}

/** Opens an HTTP/2 prior-knowledge session to 127.0.0.1:port. Close it with session.close(). */
export function h2connect(port) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

/**
 * One request on an HTTP/2 session. Returns { status, headers (as received), rawHeaders, body }.
 * `target` is the operation name (null to omit X-Amz-Target); sign=false omits Authorization.
 */
export function h2request(session, port, target, body = '{}', {
  contentType = 'application/x-amz-json-1.1', sign = true, extraHeaders = {},
} = {}) {
  const payload = toBuffer(body);
  const authority = `127.0.0.1:${port}`;
  const signed = { ':authority': authority, 'content-type': contentType, 'content-length': String(payload.length) };
  if (target) signed['x-amz-target'] = target.includes('.') ? target : `Kinesis_20131202.${target}`;
  const auth = sign ? sigv4('POST', '/', signed, payload) : { 'x-amz-date': amzDate() };
  const headers = { ':method': 'POST', ':path': '/', ':scheme': 'http', ...signed, ...auth, ...extraHeaders };
  return new Promise((resolve, reject) => {
    const req = session.request(headers);
    const chunks = [];
    let response = null;
    req.on('response', (h, _flags, rawHeaders) => { response = { headers: h, rawHeaders }; });
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (!response) { reject(new Error('stream ended without response headers')); return; }
      resolve({ status: response.headers[':status'], headers: response.headers, rawHeaders: response.rawHeaders,
        body: Buffer.concat(chunks) });
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.close(http2.constants.NGHTTP2_CANCEL));
    req.end(payload);
  });
}

/** One HTTP/1.1 request. Returns { status, headers (lower-case), rawHeaders, body }. */
export function h1request(port, target, body = '{}', {
  contentType = 'application/x-amz-json-1.1', sign = true, agent = undefined, extraHeaders = {},
} = {}) {
  const payload = toBuffer(body);
  const signed = { host: `127.0.0.1:${port}`, 'content-type': contentType };
  if (target) signed['x-amz-target'] = target.includes('.') ? target : `Kinesis_20131202.${target}`;
  const auth = sign ? sigv4('POST', '/', signed, payload) : { 'x-amz-date': amzDate() };
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/', agent,
      headers: { ...signed, ...auth, 'content-length': payload.length, ...extraHeaders },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks),
        socket: res.socket,
      }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('HTTP/1.1 request timed out')));
    req.end(payload);
  });
}

/**
 * A TCP proxy in front of the server that records the first bytes each client connection sends,
 * to see on the wire which protocol a client speaks. Returns { port, firstBytes: Buffer[], close() }.
 */
export async function startSniffingProxy(targetPort) {
  const firstBytes = [];
  const sockets = new Set();
  const server = net.createServer((client) => {
    sockets.add(client);
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(upstream);
    let first = true;
    client.on('data', (chunk) => {
      if (first) { firstBytes.push(Buffer.from(chunk)); first = false; }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => { sockets.delete(client); upstream.destroy(); });
    upstream.on('close', () => { sockets.delete(upstream); client.destroy(); });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    firstBytes,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
