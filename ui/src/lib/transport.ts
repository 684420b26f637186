// The one way the UI reaches the command table (crates/app): `call(cmd, args)`, typed by the
// bindings generated from Rust, and the phone's sync. Two implementations of the same contract
// (ARCHITECTURE.md, "UI"): the Tauri shell on the phone and HTTP to the hub in a browser.
// Nothing throws: every answer is a `Result`, errors are `{code, message}` in the user's language.
import type { CommandError } from './bindings/CommandError';
import type { CommandMap } from './bindings/CommandMap';
import type { Lang } from './bindings/Lang';
import type { Timestamp } from './bindings/Timestamp';
import { invoke as tauriInvoke } from '@tauri-apps/api/core';
import { dictFor } from './i18n/index.svelte';

export type CommandName = keyof CommandMap;
export type Args<C extends CommandName> = CommandMap[C]['args'];
export type Reply<C extends CommandName> = CommandMap[C]['response'];
export type Result<T> = { ok: true; value: T } | { ok: false; error: CommandError };

/** Where the phone's sync with the ward hub stands. */
export type SyncState =
  /** Never synced since pairing (or not paired yet). */
  | 'idle'
  | 'syncing'
  | 'done'
  /** The hub answered with a refusal or the sync broke off; `error` says why. */
  | 'failed'
  /** No hub at any of its addresses (not on the ward's Wi-Fi). */
  | 'unreachable'
  /** The UI talks to the hub itself (browser at the office): nothing to sync. */
  | 'live';

/** What the shell reports about sync: the sync bar shows all of it, always. */
export interface SyncStatus {
  state: SyncState;
  /** Last sync that completed, unix seconds. */
  last_sync: Timestamp | null;
  /** Local changes (documents) the hub does not have yet. */
  pending: number;
  /** Why the last attempt failed, in the user's language. */
  error: CommandError | null;
}

export interface Transport {
  readonly kind: 'tauri' | 'http' | 'demo';
  call<C extends CommandName>(cmd: C, args: Args<C>): Promise<Result<Reply<C>>>;
  /** Current sync status, without syncing. */
  syncStatus(): Promise<Result<SyncStatus>>;
  /** Syncs now; resolves when the attempt ends, with the status after it. */
  sync(): Promise<Result<SyncStatus>>;
}

/** The language errors should come back in, read at each call. */
export type LangSource = () => Lang;

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T>(code: string, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}

function isCommandError(e: unknown): e is CommandError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as CommandError).code === 'string' &&
    typeof (e as CommandError).message === 'string'
  );
}

/** Whatever a rejected `invoke` carried, as a `CommandError` in the user's language. */
export function toCommandError(e: unknown, lang: Lang): CommandError {
  if (isCommandError(e)) return { code: e.code, message: e.message };
  const d = dictFor(lang);
  const detail = typeof e === 'string' ? e : e instanceof Error ? e.message : '';
  return { code: 'transport', message: detail ? `${d.errors.transport}: ${detail}` : d.errors.transport };
}

// ---------------------------------------------------------------------------------------------
// Tauri: one `dispatch` command over `App::dispatch_json`, plus `sync` and `sync_status`.

export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

export function tauriTransport(lang: LangSource): Transport {
  async function invoke<T>(cmd: string, payload: Record<string, unknown>): Promise<Result<T>> {
    try {
      return ok(await tauriInvoke<T>(cmd, payload));
    } catch (e) {
      return { ok: false, error: toCommandError(e, lang()) };
    }
  }
  return {
    kind: 'tauri',
    call: (cmd, args) => invoke('dispatch', { cmd, args, lang: lang() }),
    syncStatus: () => invoke('sync_status', { lang: lang() }),
    sync: () => invoke('sync', { lang: lang() }),
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP: `POST {base}/api/v1/command/{cmd}` with the arguments as the JSON body. 200 carries the
// response; any other status an error body `{code, message}` (or `message_vi`/`message_en`).

interface HubError {
  code?: unknown;
  message?: unknown;
  message_vi?: unknown;
  message_en?: unknown;
}

function hubError(body: unknown, status: number, lang: Lang): CommandError {
  const d = dictFor(lang);
  const b = (typeof body === 'object' && body !== null ? body : {}) as HubError;
  const code = typeof b.code === 'string' ? b.code : `http_${status}`;
  const localized = lang === 'en' ? b.message_en : b.message_vi;
  const message =
    typeof localized === 'string'
      ? localized
      : typeof b.message === 'string'
        ? b.message
        : `${d.errors.badReply} (HTTP ${status})`;
  return { code, message };
}

export function httpTransport(lang: LangSource, base = ''): Transport {
  return {
    kind: 'http',
    async call(cmd, args) {
      const l = lang();
      const d = dictFor(l);
      let res: Response;
      try {
        res = await fetch(`${base}/api/v1/command/${cmd}`, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json', 'accept-language': l },
          body: JSON.stringify(args ?? null),
        });
      } catch {
        return fail('hub_unreachable', d.errors.hubUnreachable);
      }
      let body: unknown;
      try {
        body = await res.json();
      } catch {
        return fail('bad_reply', `${d.errors.badReply} (HTTP ${res.status})`);
      }
      if (!res.ok) return { ok: false, error: hubError(body, res.status, l) };
      return ok(body as Reply<typeof cmd>);
    },
    // In a browser the hub is the replica: every change is on it the moment it is made.
    syncStatus: async () => ok({ state: 'live', last_sync: null, pending: 0, error: null }),
    sync: async () => ok({ state: 'live', last_sync: null, pending: 0, error: null }),
  };
}

/** The transport this page runs on: Tauri inside the phone app, HTTP to the hub otherwise. */
export function detectTransport(lang: LangSource): Transport {
  return inTauri() ? tauriTransport(lang) : httpTransport(lang);
}
