// Real processes for the end-to-end tests: the ward hub (`gocua hub serve` over a generated
// ward in a temporary folder), pairing codes from it, and phones (`gocua phone serve`: a real
// encrypted replica and the built UI on loopback). Every process is killed when the test ends.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const UI = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ROOT = resolve(UI, '..');
/** The `gocua` binary the tests drive (built by scripts/test-all before them). */
export const GOCUA = process.env.GOCUA_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'debug', 'gocua');
/** "Now" for every process: a campaign evening, so the test never depends on today's date. */
export const NOW = process.env.GOCUA_E2E_NOW ?? '2026-11-22 19:30';
/** The PIN the tests set on their phones. */
export const TEST_PIN = '190845';

const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export function tempDir(name) {
  return mkdtempSync(join(tmpdir(), `gocua-e2e-${name}-`));
}

function env() {
  return { ...process.env, GOCUA_NOW: NOW, GOCUA_LANG: 'vi' };
}

/** Runs `gocua ARGS…` to the end; its stdout (JSON parsed when `--json` is among the args). */
export function gocua(args) {
  if (!existsSync(GOCUA)) throw new Error(`${GOCUA} is missing: build it with cargo build -p gocua-cli`);
  const out = execFileSync(GOCUA, args, { env: env(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return args.includes('--json') ? JSON.parse(out) : out;
}

export async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

async function waitForPort(port, proc, ms = 30000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode}`);
    const ok = await new Promise((res) => {
      const c = connect(port, '127.0.0.1', () => {
        c.end();
        res(true);
      });
      c.on('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${port} after ${ms} ms`);
}

function start(args) {
  const p = spawn(GOCUA, args, { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(p);
  p.on('exit', () => children.delete(p));
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  p.errText = () => err;
  return p;
}

export function stop(p) {
  return new Promise((res) => {
    if (p.exitCode !== null || p.signalCode !== null) return res();
    p.on('exit', () => res());
    p.kill('SIGKILL');
  });
}

/** A ward hub over a generated ward of `households` homes, on its own port. */
export class Hub {
  constructor(households = 120, seed = 5) {
    this.dir = tempDir('hub');
    this.db = join(this.dir, 'ward.sqlite');
    gocua(['--db', this.db, 'demo', '--households', String(households), '--seed', String(seed), '--no-serve']);
  }

  async start() {
    if (this.proc) return this;
    this.port ??= await freePort();
    this.proc = start(['--db', this.db, 'hub', 'serve', '--bind', `127.0.0.1:${this.port}`, '--advertise', '127.0.0.1']);
    await waitForPort(this.port, this.proc);
    return this;
  }

  async stop() {
    if (this.proc) await stop(this.proc);
    this.proc = null;
  }

  /** A one-time pairing payload; `png` also writes its QR code there. */
  pairing({ role = 'volunteer', volunteer, team, png } = {}) {
    const args = ['--db', this.db, '--json', 'hub', 'pair', '--role', role];
    if (volunteer) args.push('--volunteer', volunteer);
    if (team) args.push('--team', team);
    if (png) args.push('--png', png);
    return gocua(args).payload;
  }

  /** A command of the table run on the hub's replica (read while the hub serves). */
  query(args) {
    return gocua(['--db', this.db, '--json', ...args]);
  }

  cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A phone: its own replica and the app's UI at `url`. */
export class Phone {
  constructor(name) {
    this.name = name;
    this.dir = tempDir(`phone-${name}`);
  }

  async start() {
    this.proc = start(['phone', 'serve', '--dir', this.dir, '--ui', join(UI, 'dist'), '--bind', '127.0.0.1:0']);
    this.url = await new Promise((res, rej) => {
      let out = '';
      this.proc.stdout.on('data', (d) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('http://'));
        if (line) res(line.trim());
      });
      this.proc.on('exit', (c) => rej(new Error(`phone ${this.name} exited (${c}): ${this.proc.errText()}`)));
    });
    return this;
  }

  async stop() {
    if (this.proc) await stop(this.proc);
  }

  cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The flags the brief gives for Debian's Chromium, plus the extra ones a test needs. */
export function chromiumArgs(extra = []) {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    ...extra,
  ];
}

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
