// Where the office's sign-in stands, and the API the page talks to (the hub over HTTP, the
// demo, or a test's). `startSession` signs in with the link's `#signin=` token when there is
// one, else asks the hub for the cookie's session; `lose` is what a command refused for want of
// a session calls: back to the sign-in screen, saying why.
import type { CommandError } from '../lib/bindings/CommandError';
import type { OfficeSession } from './api';
import { LANG_KEY, locale, setLang } from '../lib/i18n/index.svelte';
import { type OfficeApi, httpOfficeApi, takeSigninToken } from './api';

export type SignedOutReason = 'expired' | 'invalid' | 'signedOut' | 'error' | null;

export const session = $state<{
  status: 'checking' | 'signingIn' | 'in' | 'out';
  info: OfficeSession | null;
  reason: SignedOutReason;
  /** The hub's words when `reason` is 'error' or 'invalid'. */
  message: string;
}>({ status: 'checking', info: null, reason: null, message: '' });

let api: OfficeApi | null = null;

function storedLang(): string | null {
  try {
    return localStorage.getItem(LANG_KEY);
  } catch {
    return null;
  }
}

export function setOfficeApi(a: OfficeApi | null): void {
  api = a;
}

export function officeApi(): OfficeApi {
  api ??= httpOfficeApi(() => locale.lang);
  return api;
}

function signedOut(reason: SignedOutReason, message = ''): void {
  session.status = 'out';
  session.info = null;
  session.reason = reason;
  session.message = message;
}

export async function startSession(): Promise<void> {
  const token = takeSigninToken();
  if (token) {
    session.status = 'signingIn';
    const r = await officeApi().signIn(token);
    if (r.ok) {
      signedIn(r.value);
      return;
    }
    signedOut(r.error.code === 'signin_invalid' ? 'invalid' : 'error', r.error.message);
    return;
  }
  session.status = 'checking';
  const r = await officeApi().session();
  if (r.ok) signedIn(r.value);
  else if (r.error.code === 'session_expired') signedOut('expired');
  else if (r.error.code === 'no_session') signedOut(null);
  else signedOut('error', r.error.message);
}

function signedIn(info: OfficeSession): void {
  // The hub's language for the office, unless this browser already chose one.
  if (info.lang && !storedLang()) setLang(info.lang);
  session.status = 'in';
  session.info = info;
  session.reason = null;
  session.message = '';
}

/** A command was refused for want of a session (it expired while the page was open). */
export function lose(error: CommandError): void {
  if (session.status !== 'in') return;
  signedOut(error.code === 'session_expired' || error.code === 'no_session' ? 'expired' : 'error', error.message);
}

export async function signOut(): Promise<void> {
  await officeApi().signOut();
  signedOut('signedOut');
}

export function resetSession(): void {
  api = null;
  session.status = 'checking';
  session.info = null;
  session.reason = null;
  session.message = '';
}
