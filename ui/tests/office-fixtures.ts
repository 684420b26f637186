// A mocked ward hub for the office dashboard's tests: `fetch` answers the command table
// (`POST /api/v1/command/{cmd}`) and the office session endpoints from handlers, and records
// every request; a fake XMLHttpRequest answers the import upload with progress events.
import { vi } from 'vitest';
import type { ImportReport } from '../src/lib/bindings/ImportReport';
import type { ProgressRow } from '../src/lib/bindings/ProgressRow';
import type { Progress } from '../src/lib/bindings/Progress';

export interface Sent {
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, string>;
}

/** A handler's answer: a JSON value (200), or an HTTP status with a body. */
export type Answer = unknown | { status: number; body: unknown };
export type Handler = (args: never) => Answer;

export function refused(status: number, code: string, message_vi: string, message_en: string) {
  return { status, body: { code, message_vi, message_en } };
}

function isStatus(a: unknown): a is { status: number; body: unknown } {
  return typeof a === 'object' && a !== null && 'status' in a && 'body' in a && Object.keys(a).length === 2;
}

export interface HubMock {
  sent: Sent[];
  commands: (cmd: string) => unknown[];
  handlers: Record<string, Handler>;
  session: { GET: () => Answer; POST: (body: { token: string }) => Answer; DELETE: () => Answer };
}

export function mockHub(handlers: Record<string, Handler>, session: Partial<HubMock['session']> = {}): HubMock {
  const hub: HubMock = {
    sent: [],
    commands: (cmd) => hub.sent.filter((s) => s.path === `/api/v1/command/${cmd}`).map((s) => s.body),
    handlers,
    session: {
      GET: () => ({ ward: 'Phường Trúc Bạch', expires_at: 1_900_000_000 }),
      POST: () => ({ ward: 'Phường Trúc Bạch', expires_at: 1_900_000_000 }),
      DELETE: () => ({ status: 204, body: null }),
      ...session,
    },
  };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : null;
      const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
      hub.sent.push({ method, path: url, body, headers });
      let answer: Answer;
      if (url === '/api/v1/office/session') {
        answer = method === 'POST' ? hub.session.POST(body) : method === 'DELETE' ? hub.session.DELETE() : hub.session.GET();
      } else {
        const cmd = /^\/api\/v1\/command\/(\w+)$/.exec(url)?.[1] ?? '';
        const h = hub.handlers[cmd];
        answer = h ? h(body as never) : refused(404, 'unknown_command', `Không có lệnh ${cmd}`, `No command ${cmd}`);
      }
      const [status, json] = isStatus(answer) ? [answer.status, answer.body] : [200, answer];
      return new Response(status === 204 ? null : JSON.stringify(json), { status, headers: { 'content-type': 'application/json' } });
    }),
  );
  return hub;
}

export const P0: Progress = { households: 0, visited_households: 0, eligible: 0, cccd: 0, level2: 0, activated: 0, guided: 0 };

export function prow(key: string, label: string, p: Partial<Progress>, extra: Partial<ProgressRow> = {}): ProgressRow {
  return { key, label, progress: { ...P0, ...p }, target: null, quota: null, ...extra };
}

/** The figures of the example: 607.583 activated of a target of 859.549. */
export const WARD = prow('w-01', 'Phường Trúc Bạch', { households: 300_000, visited_households: 250_000, eligible: 900_000, cccd: 800_000, level2: 500_000, activated: 607_583 }, { target: { cccd: 880_000, level2: 700_000, activated: 859_549 } });

/** What the dashboard's home asks for, with empty answers. */
export function progressHandlers(extra: Record<string, Handler> = {}): Record<string, Handler> {
  return {
    progress: (({ by }: { by: string }) => (by === 'ward' ? [WARD] : [])) as Handler,
    leaderboard: () => [],
    daily_progress: () => [],
    hard_cases: () => [],
    campaign: () => ({ ward: 'Phường Trúc Bạch', district: 'Quận Ba Đình', campaign: CAMPAIGN }),
    ...extra,
  };
}

export const CAMPAIGN = {
  name: 'Chiến dịch 90 ngày đêm',
  start: '2026-10-01',
  end: '2026-12-29',
  targets: { cccd: 880_000, level2: 700_000, activated: 859_549 },
  eligible_age: 14,
  urban_window: { start: '18:00', end: '21:30' },
  rural_window: { start: '17:00', end: '20:30' },
  quota_per_volunteer: 20,
};

export interface Upload {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** XMLHttpRequest for the import upload: two progress events, then `answer(url)`. */
export function mockXhr(answer: (url: string) => { status: number; body: ImportReport | unknown }): Upload[] {
  const uploads: Upload[] = [];
  class FakeXhr {
    url = '';
    status = 0;
    responseText = '';
    withCredentials = false;
    headers: Record<string, string> = {};
    upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
    onload: (() => void) | null = null;
    onerror: (() => void) | null = null;
    onabort: (() => void) | null = null;
    open(_method: string, url: string) {
      this.url = url;
    }
    setRequestHeader(k: string, v: string) {
      this.headers[k.toLowerCase()] = v;
    }
    send(body: unknown) {
      uploads.push({ url: this.url, headers: this.headers, body });
      setTimeout(() => {
        this.upload.onprogress?.({ loaded: 50, total: 100, lengthComputable: true });
        this.upload.onprogress?.({ loaded: 100, total: 100, lengthComputable: true });
        const a = answer(this.url);
        this.status = a.status;
        this.responseText = JSON.stringify(a.body);
        this.onload?.();
      }, 5);
    }
  }
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  return uploads;
}
