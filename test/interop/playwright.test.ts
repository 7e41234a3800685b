// A page replays in a real browser from a HAR that flowtx wrote: Chromium (Debian's package, driven by
// playwright-core, never a downloaded browser) opens it with page.routeFromHAR(har, { notFound: 'abort' })
// while the site it came from is down, so every resource the page shows must come out of the HAR.
// The flows are captured two ways: by mitmdump 8.1.1 as a proxy in front of a tiny site on 127.0.0.1 while
// Chromium loads the page, and built with flowtx's createFlow from what the site serves.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { chromium, type LaunchOptions } from 'playwright-core';
import { afterEach, describe, expect, test } from 'vitest';
import { msgpackCodec } from '../../src/codecs/msgpack/codec.js';
import { Flow, createFlow } from '../../src/model/flow.js';
import { harProblems } from '../helpers/har-schema.js';
import { encodeAll } from '../helpers/tflow.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find((path) => existsSync(path));
const haveMitmdump = spawnSync('mitmdump', ['--version']).status === 0;
// Chromium resolves no name itself, and every request it makes goes to a proxy on 127.0.0.1: mitmdump with
// loopback_only.py while capturing, a closed port while replaying (routeFromHAR answers inside the browser),
// so its own background requests (update and sign-in services) never leave the machine.
const BROWSER: LaunchOptions = {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'],
};

/** A 3×2 RGBA PNG: its natural size can only come from decoding the real bytes. */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE(crc32(body), body.length + 4);
    return framed;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA, no interlace
  const rows = Buffer.alloc(height * (1 + width * 4), 0x80); // each row: filter byte, then pixels
  for (let y = 0; y < height; y++) rows[y * (1 + width * 4)] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

interface Resource {
  type: string;
  body: Buffer;
  /** Sent with Content-Encoding: gzip, as mitmproxy then stores it. */
  gzip?: boolean;
}

// `data:,` as the icon keeps Chromium from asking for /favicon.ico.
const SITE: Record<string, Resource> = {
  '/': {
    type: 'text/html; charset=utf-8',
    body: Buffer.from('<!doctype html><html><head><link rel="icon" href="data:,"><link rel="stylesheet" href="/style.css"><script src="/app.js" defer></script></head><body><p id="out">no script</p><img id="dot" src="/img/dot.png" alt="dot"></body></html>'),
  },
  '/style.css': { type: 'text/css', body: Buffer.from('#out { color: rgb(12, 34, 56); }') },
  '/app.js': {
    type: 'application/javascript',
    gzip: true,
    body: Buffer.from(`const out = document.getElementById('out');
out.textContent = 'script ran: ' + 6 * 7;
fetch('/api/data.json').then((r) => r.json()).then((d) => { out.dataset.api = d.message; });`),
  },
  '/api/data.json': { type: 'application/json', body: Buffer.from(JSON.stringify({ message: 'from the api ✓' })) },
  '/img/dot.png': { type: 'image/png', body: png(3, 2) },
};

// Run in the page; strings, since the project's types have no DOM.
const API_ANSWERED = `document.getElementById('out')?.dataset.api !== undefined`;
const SHOWN = `(() => {
  const out = document.getElementById('out');
  const dot = document.getElementById('dot');
  return { text: out.textContent, api: out.dataset.api, color: getComputedStyle(out).color, image: [dot.naturalWidth, dot.naturalHeight] };
})()`;

function served(resource: Resource): { headers: [string, string][]; body: Buffer } {
  const body = resource.gzip ? gzipSync(resource.body) : resource.body;
  const headers: [string, string][] = [['Content-Type', resource.type], ['Content-Length', String(body.length)], ['Cache-Control', 'no-store']];
  if (resource.gzip) headers.push(['Content-Encoding', 'gzip']);
  return { headers, body };
}

async function startSite(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const resource = SITE[req.url ?? ''];
    if (resource === undefined) return void res.writeHead(404).end();
    const { headers, body } = served(resource);
    res.writeHead(200, Object.fromEntries(headers)).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

async function listening(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const up = await new Promise<boolean>((done) => {
      const socket = connect(port, '127.0.0.1', () => done(true)).on('error', () => done(false));
      socket.unref();
      setTimeout(() => socket.destroy(), 500);
    });
    if (up) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

/** Ends a child with SIGINT (mitmdump then closes its flow file), with SIGKILL after `ms`. */
async function stop(child: ChildProcess, ms = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Loads the site in Chromium through mitmdump (regular proxy mode) and returns the flow file it wrote: the
 * site's flows only (Chromium's refused background requests are not saved). */
async function captureWithMitmdump(dir: string, origin: string): Promise<string> {
  const flows = join(dir, 'captured.flows');
  const port = await freePort();
  const confdir = join(dir, 'mitmproxy');
  const mitmdump = spawn(
    'mitmdump',
    ['-q', '--listen-host', '127.0.0.1', '-p', String(port), '--set', `confdir=${confdir}`, '--set', 'connection_strategy=lazy', '-s', join(import.meta.dirname, 'loopback_only.py'), '-w', flows, '--set', 'save_stream_filter=~d ^127\\.0\\.0\\.1$'],
    { stdio: 'ignore' },
  );
  cleanups.push(() => stop(mitmdump));
  await listening(port, Date.now() + 30_000);
  const browser = await chromium.launch({ ...BROWSER, proxy: { server: `http://127.0.0.1:${port}` } });
  try {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(API_ANSWERED, undefined, { timeout: 15_000 });
  } finally {
    await browser.close();
  }
  await stop(mitmdump);
  return flows;
}

/** The same site as flows made with createFlow, written as flowtx msgpack. */
function buildWithCreateFlow(dir: string, origin: string): string {
  const flows = Object.entries(SITE).map(([path, resource], i) => {
    const { headers, body } = served(resource);
    const t = 1_764_000_000 + i * 0.05;
    return createFlow({
      timestamp: t,
      request: { url: `${origin}${path}`, headers: [['Accept', '*/*']], timestampStart: t, timestampEnd: t + 0.001 },
      response: { statusCode: 200, headers, content: body, timestampStart: t + 0.01, timestampEnd: t + 0.02 },
    });
  });
  const file = join(dir, 'built.ftx');
  writeFileSync(file, encodeAll(msgpackCodec, flows.map((f) => Flow.state(f))));
  return file;
}

describe.skipIf(CHROMIUM === undefined)(`Chromium replays a page from a HAR flowtx wrote${CHROMIUM ? '' : ' (skipped: Chromium is not installed: apt-get install -y chromium)'}`, () => {
  test.for<[string, (dir: string, origin: string) => Promise<string>, boolean]>([
    ['captured by mitmdump as a proxy', captureWithMitmdump, haveMitmdump],
    ['built with createFlow', async (dir, origin) => buildWithCreateFlow(dir, origin), true],
  ])('flows %s', { timeout: 120_000 }, async ([, capture, available], { skip }) => {
    skip(!available, 'mitmdump is not installed (apt-get install -y mitmproxy)');
    const dir = mkdtempSync(join(tmpdir(), 'flowtx-replay-'));
    const { server, origin } = await startSite();
    cleanups.push(() => new Promise((done) => server.close(done)));
    const flows = await capture(dir, origin);
    await new Promise((done) => server.close(done));

    const har = join(dir, 'site.har');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/flowtx.js'), flows, har], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).not.toMatch(/flowtx: error/); // a warning says the gzip bytes of app.js become its decoded text
    expect(r.status).toBe(0);
    expect(harProblems(JSON.parse(readFileSync(har, 'utf8')))).toEqual([]);

    const browser = await chromium.launch({ ...BROWSER, proxy: { server: `http://127.0.0.1:${await freePort()}` } });
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
    await page.routeFromHAR(har, { notFound: 'abort' });
    await page.goto(`${origin}/`);
    await page.waitForFunction(API_ANSWERED, undefined, { timeout: 15_000 });
    const shown = await page.evaluate(SHOWN);
    expect(shown).toEqual({ text: 'script ran: 42', api: 'from the api ✓', color: 'rgb(12, 34, 56)', image: [3, 2] });
    expect(failed).toEqual([]);
  });
});
