// Process harness for the JavaScript end-to-end tests.
//
// Spawns the shoal binary (SHOAL_BIN, default <repo>/build/shoal) on a free port with a fresh
// temporary data directory and short state-transition delays, waits until it listens, and cleans up
// after itself: node:test after() hooks stop every server a file started, and a process 'exit'
// handler SIGKILLs whatever is still alive and removes the temporary directories.
//
//   import { useServer } from './harness.mjs';
//   const server = useServer({ createDelayMs: 100 });   // registers before()/after() hooks
//   test('...', async () => { const kinesis = server.client(); ... });
//
// Set SHOAL_E2E_LOG=1 to print each server's stderr when it stops.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { KinesisClient } from '@aws-sdk/client-kinesis';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const SHOAL_BIN = process.env.SHOAL_BIN || path.join(REPO_ROOT, 'build', 'shoal');

export const REGION = 'us-east-1';
export const ACCOUNT_ID = '000000000000';
// Not frozen, and copied per client: the SDK annotates the credentials object it is given.
export const CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'y' };
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

export function streamArn(name, { region = REGION, account = ACCOUNT_ID } = {}) {
  return `arn:aws:kinesis:${region}:${account}:stream/${name}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Every server this process started and has not stopped yet (for the exit handler).
const live = new Set();
let exitHandlerInstalled = false;

function installExitHandler() {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const server of live) server.killSync();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      for (const server of live) server.killSync();
      process.exit(128 + (os.constants.signals[signal] ?? 1));
    });
  }
}

function tail(text, max = 8000) {
  return text.length > max ? `...${text.slice(-max)}` : text;
}

function tcpProbe(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => { socket.destroy(); resolve(false); });
  });
}

export class ShoalServer {
  /**
   * @param {object} [opts]
   * @param {number} [opts.createDelayMs=100]
   * @param {number} [opts.deleteDelayMs=100]
   * @param {number} [opts.updateDelayMs=100]
   * @param {number} [opts.nextTokenTtlSeconds]
   * @param {number} [opts.shardLimit]
   * @param {number} [opts.iteratorTtlSeconds]  --iterator-ttl-seconds
   * @param {string} [opts.durability]  --durability (sync | flush)
   * @param {string} [opts.limits='off']  --limits (aws | off | scaled:<factor>)
   * @param {string} [opts.tmpPrefix='shoal-js-e2e-']  prefix of the temporary directory
   * @param {string[]} [opts.extraArgs]
   */
  constructor(opts = {}) {
    this.opts = { createDelayMs: 100, deleteDelayMs: 100, updateDelayMs: 100, extraArgs: [], ...opts };
    this.tmpDir = null;
    this.proc = null;
    this.port = null;
    this.stderrText = '';
    this.stdoutText = '';
    this.clients = new Set();
    this.exitPromise = null;
  }

  get dataDir() { return path.join(this.tmpDir, 'data'); }
  get portFile() { return path.join(this.tmpDir, 'port'); }
  get endpoint() {
    if (this.port == null) throw new Error('shoal server is not running');
    return `http://127.0.0.1:${this.port}`;
  }
  get running() { return this.proc !== null; }

  args() {
    const o = this.opts;
    const args = [
      'serve',
      '--host', '127.0.0.1',
      '--port', '0',
      '--port-file', this.portFile,
      '--data-dir', this.dataDir,
      '--region', REGION,
      '--account-id', ACCOUNT_ID,
      '--create-delay-ms', String(o.createDelayMs),
      '--delete-delay-ms', String(o.deleteDelayMs),
      '--update-delay-ms', String(o.updateDelayMs),
    ];
    if (o.nextTokenTtlSeconds != null) args.push('--next-token-ttl-seconds', String(o.nextTokenTtlSeconds));
    if (o.shardLimit != null) args.push('--shard-limit', String(o.shardLimit));
    if (o.iteratorTtlSeconds != null) args.push('--iterator-ttl-seconds', String(o.iteratorTtlSeconds));
    if (o.durability != null) args.push('--durability', String(o.durability));
    // Tests write fast from one client: no throughput limits unless a test asks for some.
    args.push('--limits', o.limits ?? 'off');
    return args.concat(o.extraArgs);
  }

  /** Starts the server (first start creates the temporary directory; later starts reuse it). */
  async start() {
    if (this.proc) throw new Error('shoal server already running');
    installExitHandler();
    if (!this.tmpDir) {
      this.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), this.opts.tmpPrefix ?? 'shoal-js-e2e-'));
      fs.mkdirSync(this.dataDir);
    }
    fs.rmSync(this.portFile, { force: true });
    if (!fs.existsSync(SHOAL_BIN)) {
      throw new Error(`shoal binary not found at ${SHOAL_BIN} (build it or set SHOAL_BIN)`);
    }
    this.port = null;
    this.stderrText += `\n--- start ${new Date().toISOString()} ${SHOAL_BIN} ${this.args().join(' ')}\n`;
    const proc = spawn(SHOAL_BIN, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    live.add(this);
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (d) => { this.stdoutText = tail(this.stdoutText + d, 200_000); });
    proc.stderr.on('data', (d) => { this.stderrText = tail(this.stderrText + d, 200_000); });
    let exited = null;
    this.exitPromise = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        exited = { code, signal };
        if (this.proc === proc) { this.proc = null; this.port = null; }
        resolve(exited);
      });
      proc.once('error', (err) => {
        exited = { code: null, signal: null, error: err };
        if (this.proc === proc) { this.proc = null; this.port = null; }
        resolve(exited);
      });
    });

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exited) {
        throw new Error(`shoal exited before becoming ready (${JSON.stringify(exited)})\n` +
          `stderr:\n${tail(this.stderrText)}\nstdout:\n${tail(this.stdoutText, 2000)}`);
      }
      let text = '';
      try { text = fs.readFileSync(this.portFile, 'utf8').trim(); } catch { /* not yet */ }
      if (/^\d+$/.test(text) && Number(text) > 0 && await tcpProbe(Number(text))) {
        this.port = Number(text);
        return this;
      }
      await sleep(25);
    }
    const stderr = this.stderrText;
    this.killSync();
    throw new Error(`shoal did not become ready within ${READY_TIMEOUT_MS} ms\nstderr:\n${tail(stderr)}`);
  }

  /** A KinesisClient for the current endpoint, with the SDK's default (HTTP/2) request handler. */
  client(overrides = {}) {
    const client = new KinesisClient({
      endpoint: this.endpoint,
      region: REGION,
      credentials: { ...CREDENTIALS },
      ...overrides,
    });
    this.clients.add(client);
    return client;
  }

  destroyClients() {
    for (const client of this.clients) {
      try { client.destroy(); } catch { /* ignore */ }
    }
    this.clients.clear();
  }

  async signalAndWait(signal, timeoutMs) {
    const proc = this.proc;
    if (!proc) return null;
    const exitPromise = this.exitPromise;
    proc.kill(signal);
    const result = await Promise.race([exitPromise, sleep(timeoutMs).then(() => null)]);
    if (result === null) {
      proc.kill('SIGKILL');
      await exitPromise;
      throw new Error(`shoal did not exit within ${timeoutMs} ms of ${signal}`);
    }
    return result;
  }

  /** SIGKILLs the server (no chance to flush anything) and waits until it is gone. */
  async kill9() {
    this.destroyClients();
    await this.signalAndWait('SIGKILL', STOP_TIMEOUT_MS);
  }

  /** Starts the server again on the same data directory (stopping it with SIGTERM first if running).
   *  The port changes: create new clients afterwards. */
  async restart() {
    this.destroyClients();
    if (this.proc) await this.signalAndWait('SIGTERM', STOP_TIMEOUT_MS);
    await this.start();
    return this;
  }

  /** Stops the server with SIGTERM (SIGKILL after a timeout) and removes the temporary directory. */
  async stop() {
    this.destroyClients();
    let result = null;
    let error = null;
    try {
      result = await this.signalAndWait('SIGTERM', STOP_TIMEOUT_MS);
    } catch (err) {
      error = err;
    }
    live.delete(this);
    if (process.env.SHOAL_E2E_LOG) {
      process.stderr.write(`shoal server log (${this.tmpDir}):\n${this.stderrText}\n`);
    }
    if (this.tmpDir) fs.rmSync(this.tmpDir, { recursive: true, force: true });
    this.tmpDir = null;
    if (error) throw error;
    return result;
  }

  /** Synchronous last-resort cleanup used by the process exit handler. */
  killSync() {
    if (this.proc) {
      try { this.proc.kill('SIGKILL'); } catch { /* ignore */ }
    }
    live.delete(this);
    if (this.tmpDir) {
      try { fs.rmSync(this.tmpDir, { recursive: true, force: true }); } catch { /* ignore */ }
    }
  }

  /** Captured stderr of the server (all starts). */
  logs() { return this.stderrText; }
}

/** Creates a server and registers node:test hooks that start it before and stop it after the
 *  enclosing suite (or file, when called at top level). */
export function useServer(opts = {}) {
  const server = new ShoalServer(opts);
  before(async () => { await server.start(); });
  after(async () => { await server.stop(); });
  return server;
}

let nameCounter = 0;
/** A stream name unique within this process: <prefix>-<pid>-<counter>. */
export function uniqueName(prefix = 'js') {
  nameCounter += 1;
  return `${prefix}-${process.pid}-${nameCounter}`;
}

export { sleep };
