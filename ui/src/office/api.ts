// The office's side of the hub's HTTP API beyond the command table (office-contract.md): the
// session (sign in with the one-time link's token, check, sign out), the import upload with
// progress (XHR, for `upload.onprogress`), the report's download address. Commands go through
// the shared `httpTransport`; `watchSession` wraps any transport so that a command refused for
// want of a session (expired mid-use) sends the page back to the sign-in screen.
import type { CommandError } from '../lib/bindings/CommandError';
import type { ImportReport } from '../lib/bindings/ImportReport';
import type { Lang } from '../lib/bindings/Lang';
import type { Timestamp } from '../lib/bindings/Timestamp';
import { officeDict } from '../lib/i18n/office';
import type { LangSource, Result, Transport } from '../lib/transport';
import { fail, ok } from '../lib/transport';

/** The ward office's signed-in browser session, as `GET/POST /api/v1/office/session` answer it
 * (the hub's `office.rs`; not a command of the table, so not among the generated bindings). */
export type OfficeSession = { ward: string; expires_at: Timestamp; lang?: Lang };

/** Error codes that mean "no valid office session": the page must sign in again. */
export const SESSION_CODES = new Set(['no_session', 'session_expired', 'signin_invalid']);

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface OfficeApi {
  readonly demo: boolean;
  /** The session the cookie carries, if any. */
  session(): Promise<Result<OfficeSession>>;
  /** Exchanges the sign-in link's one-time token for a session (cookie). */
  signIn(token: string): Promise<Result<OfficeSession>>;
  signOut(): Promise<Result<null>>;
  /** Uploads a household list; with `accept` false and row errors nothing is written. */
  upload(file: Blob, name: string, accept: boolean, onProgress: (p: UploadProgress) => void): Promise<Result<ImportReport>>;
  /** Where the report downloads from, or null where there is none (the demo). */
  reportUrl(lang: Lang): string | null;
}

function errorOf(body: unknown, status: number, lang: Lang): CommandError {
  const d = officeDict(lang);
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const code = typeof b.code === 'string' ? b.code : `http_${status}`;
  const localized = lang === 'en' ? b.message_en : b.message_vi;
  const message = typeof localized === 'string' ? localized : typeof b.message === 'string' ? b.message : `${d.errors.badReply} (HTTP ${status})`;
  return { code, message };
}

export function httpOfficeApi(lang: LangSource, base = ''): OfficeApi {
  async function request<T>(method: string, body?: unknown): Promise<Result<T>> {
    const l = lang();
    let res: Response;
    try {
      res = await fetch(`${base}/api/v1/office/session`, {
        method,
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'accept-language': l },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      return fail('hub_unreachable', officeDict(l).errors.network);
    }
    if (res.status === 204) return ok(null as T);
    let json: unknown = null;
    try {
      json = await res.json();
    } catch {
      if (res.ok) return fail('bad_reply', `${officeDict(l).errors.badReply} (HTTP ${res.status})`);
    }
    return res.ok ? ok(json as T) : { ok: false, error: errorOf(json, res.status, l) };
  }

  return {
    demo: false,
    session: () => request<OfficeSession>('GET'),
    signIn: (token) => request<OfficeSession>('POST', { token }),
    signOut: () => request<null>('DELETE'),
    upload(file, name, accept, onProgress) {
      const l = lang();
      const d = officeDict(l);
      return new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        const q = new URLSearchParams({ accept_valid_rows: String(accept), name });
        xhr.open('POST', `${base}/api/v1/office/import?${q.toString()}`);
        xhr.withCredentials = true;
        xhr.setRequestHeader('content-type', 'application/octet-stream');
        xhr.setRequestHeader('accept-language', l);
        xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
        xhr.onerror = () => resolve(fail('hub_unreachable', d.errors.network));
        xhr.onabort = () => resolve(fail('aborted', d.errors.upload));
        xhr.onload = () => {
          let json: unknown = null;
          try {
            json = JSON.parse(xhr.responseText);
          } catch {
            resolve(fail('bad_reply', `${d.errors.badReply} (HTTP ${xhr.status})`));
            return;
          }
          resolve(xhr.status >= 200 && xhr.status < 300 ? ok(json as ImportReport) : { ok: false, error: errorOf(json, xhr.status, l) });
        };
        xhr.send(file);
      });
    },
    reportUrl: (l) => `${base}/api/v1/office/report.xlsx?lang=${l}`,
  };
}

/** The same transport, telling `onLost` when the hub says the session is gone. */
export function watchSession(inner: Transport, onLost: (error: CommandError) => void): Transport {
  return {
    ...inner,
    async call(cmd, args) {
      const r = await inner.call(cmd, args);
      if (!r.ok && SESSION_CODES.has(r.error.code)) onLost(r.error);
      return r;
    },
  };
}

/** Reads `#signin=<token>` and removes it from the address bar (history.replaceState), so the
 * one-time token is neither bookmarked nor left in the history. */
export function takeSigninToken(): string | null {
  const m = /^#signin=([^&]+)/.exec(location.hash);
  if (!m?.[1]) return null;
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  return decodeURIComponent(m[1]);
}
