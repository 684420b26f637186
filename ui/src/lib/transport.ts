// The one way the UI reaches the command table (crates/app): `call(cmd, args)`, typed by the
// bindings generated from Rust, and the phone's sync and pairing. Two implementations of the same
// contract (ARCHITECTURE.md, "UI"): the Tauri shell on the phone, and HTTP in a browser, either to
// a phone replica's browser shell (`gocua phone serve`) or to the ward hub itself.
// Nothing throws: every answer is a `Result`, errors are `{code, message}` in the user's language.
import type { CommandError } from './bindings/CommandError';
import type { CommandMap } from './bindings/CommandMap';
import type { Lang } from './bindings/Lang';
import type { Timestamp } from './bindings/Timestamp';
import { Channel, invoke as tauriInvoke } from '@tauri-apps/api/core';
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
  /** Whether this device is paired with a ward hub; the pairing screen shows until it is. */
  paired: boolean;
  /** How far the sync under way is (`syncing` only). */
  progress: SyncProgressEvent | null;
  /** A PIN protects the data on this device (set right after pairing). */
  pin_set: boolean;
  /** The PIN must be entered before anything else. */
  locked: boolean;
}

/** The app lock's actions: enter the PIN, set or change it, lock now, or (PIN forgotten) wipe
 * the device's data so it can be paired again. */
export type LockAction = 'unlock' | 'set_pin' | 'lock' | 'forget';

/** One step of a sync under way, streamed by the shell. */
export interface SyncProgressEvent {
  round: number;
  docs_received: number;
  docs_remaining: number;
}

/** What pairing with a ward hub gave this device. */
export interface PairInfo {
  hub_urls: string[];
  fingerprint: string;
  device_id: string;
  /** 'volunteer' | 'team_lead' | 'office' | … (the hub's word for it). */
  role: string;
  team: string | null;
  volunteer: string | null;
  ward: string;
}

export type OnProgress = (p: SyncProgressEvent) => void;

export interface Transport {
  readonly kind: 'tauri' | 'http' | 'demo';
  call<C extends CommandName>(cmd: C, args: Args<C>): Promise<Result<Reply<C>>>;
  /** Current sync status, without syncing. */
  syncStatus(): Promise<Result<SyncStatus>>;
  /** Syncs now; resolves when the attempt ends, with the status after it. Progress as it goes,
   * where the shell streams it. */
  sync(onProgress?: OnProgress): Promise<Result<SyncStatus>>;
  /** Pairs this device with the hub whose QR code carried `payload` (opaque text). */
  pair(payload: string, deviceName: string): Promise<Result<PairInfo>>;
  /** The app lock; answers the status after the action. `old` is the current PIN when
   * changing it. */
  lock(action: LockAction, pin?: string, old?: string): Promise<Result<SyncStatus>>;
}

/** A status as the shell sent it, with the fields an older shell may leave out filled in: only
 * an explicit `paired: false` shows the pairing screen. */
export function normalizeStatus(s: SyncStatus): SyncStatus {
  return {
    ...s,
    error: s.error ?? null,
    pending: s.pending ?? 0,
    paired: s.paired !== false,
    progress: s.progress ?? null,
    // Only a shell that says so asks for a PIN (the hub itself has none).
    pin_set: s.pin_set !== false,
    locked: s.locked === true,
  };
}

/** What a browser talking to the hub itself reports: every change is on it when made. */
export const LIVE: SyncStatus = {
  state: 'live',
  last_sync: null,
  pending: 0,
  error: null,
  paired: true,
  progress: null,
  pin_set: true,
  locked: false,
};

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
// Tauri: one `dispatch` command over `App::dispatch_json`, plus `sync_status`, `sync` (progress
// through a `Channel`) and `pair`.

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
  const status = async (r: Promise<Result<SyncStatus>>): Promise<Result<SyncStatus>> => {
    const s = await r;
    return s.ok ? ok(normalizeStatus(s.value)) : s;
  };
  return {
    kind: 'tauri',
    call: (cmd, args) => invoke('dispatch', { cmd, args, lang: lang() }),
    syncStatus: () => status(invoke('sync_status', { lang: lang() })),
    sync(onProgress) {
      const channel = new Channel<SyncProgressEvent>();
      channel.onmessage = (p) => onProgress?.(p);
      return status(invoke('sync', { lang: lang(), onProgress: channel }));
    },
    pair: (payload, deviceName) => invoke('pair', { payload: payload.trim(), deviceName, lang: lang() }),
    lock: (action, pin, old) => status(invoke(action, { pin: pin ?? '', old: old ?? null, lang: lang() })),
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP: `POST {base}/api/v1/command/{cmd}` with the arguments as the JSON body. 200 carries the
// response; any other status an error body `{code, message}` (or `message_vi`/`message_en`).
// A phone replica's browser shell also answers `POST /api/v1/shell/{status,sync,pair}`; the hub
// answers 404 there, and then the page is live on the hub: paired, nothing to sync.

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
  /** The answer, and the HTTP status when the server answered at all. */
  async function post<T>(path: string, body: unknown): Promise<[Result<T>, number | null]> {
    const l = lang();
    const d = dictFor(l);
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'accept-language': l },
        body: JSON.stringify(body ?? null),
      });
    } catch {
      return [fail('hub_unreachable', d.errors.hubUnreachable), null];
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      return [fail<T>('bad_reply', `${d.errors.badReply} (HTTP ${res.status})`), res.status];
    }
    if (!res.ok) return [{ ok: false, error: hubError(json, res.status, l) }, res.status];
    return [ok(json as T), res.status];
  }

  /** Whether a browser shell answers, learnt from the first status request. */
  let shell: boolean | null = null;

  async function shellStatus(path: 'status' | 'sync'): Promise<Result<SyncStatus>> {
    if (shell === false) return ok({ ...LIVE });
    const [r, status] = await post<SyncStatus>(`/api/v1/shell/${path}`, null);
    if (!r.ok && status === 404) {
      shell = false;
      return ok({ ...LIVE });
    }
    if (r.ok) {
      shell = true;
      return ok(normalizeStatus(r.value));
    }
    return r;
  }

  return {
    kind: 'http',
    call: async <C extends CommandName>(cmd: C, args: Args<C>) => (await post<Reply<C>>(`/api/v1/command/${cmd}`, args))[0],
    syncStatus: () => shellStatus('status'),
    // The browser shell does not stream progress: the bar says "syncing" until it answers.
    sync: () => shellStatus('sync'),
    async pair(payload, deviceName) {
      if (shell === null) await shellStatus('status');
      if (shell === false) return fail('no_shell', dictFor(lang()).errors.noShell);
      return (await post<PairInfo>('/api/v1/shell/pair', { payload: payload.trim(), device_name: deviceName }))[0];
    },
    async lock(action, pin, old) {
      if (shell === null) await shellStatus('status');
      if (shell === false) return fail('no_shell', dictFor(lang()).errors.noShell);
      const [r] = await post<SyncStatus>(`/api/v1/shell/${action}`, { pin: pin ?? '', old: old ?? null });
      return r.ok ? ok(normalizeStatus(r.value)) : r;
    },
  };
}

/** The transport this page runs on: Tauri inside the phone app, HTTP to the hub otherwise. */
export function detectTransport(lang: LangSource): Transport {
  return inTauri() ? tauriTransport(lang) : httpTransport(lang);
}
