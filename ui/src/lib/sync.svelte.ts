// Sync state for the sync bar and the pairing screen: last sync time, changes not yet on the
// hub, whether the device is paired, and what is happening now (with the shell's progress). The
// shell does the work (`Transport.sync`, `Transport.pair`); this asks, remembers, and syncs on
// launch, when the app comes back to the foreground, and on the button.
import type { CommandError } from './bindings/CommandError';
import { transport } from './api';
import { dictFor, locale } from './i18n/index.svelte';
import { type LockAction, type PairInfo, type Result, type SyncStatus, fail } from './transport';

const initial: SyncStatus = {
  state: 'idle',
  last_sync: null,
  pending: 0,
  error: null,
  paired: true,
  progress: null,
  pin_set: true,
  locked: false,
};

/** How long the app may stay in the background before it locks itself. */
export const AUTO_LOCK_MS = 2 * 60 * 1000;

/** `loaded`: the shell has answered once, so `status.paired` is known. */
export const syncState = $state<{ status: SyncStatus; busy: boolean; loaded: boolean }>({
  status: { ...initial },
  busy: false,
  loaded: false,
});

function failed(error: CommandError): SyncStatus {
  return {
    ...syncState.status,
    state: error.code === 'hub_unreachable' ? 'unreachable' : 'failed',
    error,
    progress: null,
  };
}

/** A refresh asked for while a sync was under way (e.g. a visit saved meanwhile): done when the
 * sync ends, so the count of changes not yet sent is never left stale. */
let refreshAfterSync = false;

export async function refreshSync(): Promise<void> {
  if (syncState.busy) {
    refreshAfterSync = true;
    return;
  }
  const r = await transport().syncStatus();
  if (syncState.busy) {
    refreshAfterSync = true;
    return;
  }
  syncState.status = r.ok ? r.value : failed(r.error);
  syncState.loaded = true;
}

/** Syncs now, unless a sync is under way, the device is not paired, or the page is live on the
 * hub. Recording never waits for it: commands go to the local replica meanwhile. */
export async function syncNow(): Promise<void> {
  const s = syncState.status;
  if (syncState.busy || !s.paired || s.locked || s.state === 'live') return;
  syncState.busy = true;
  syncState.status = { ...syncState.status, state: 'syncing', error: null, progress: null };
  try {
    const r = await transport().sync((p) => {
      if (syncState.busy) syncState.status = { ...syncState.status, progress: p };
    });
    syncState.status = r.ok ? r.value : failed(r.error);
    syncState.loaded = true;
  } finally {
    syncState.busy = false;
  }
  if (refreshAfterSync) {
    refreshAfterSync = false;
    await refreshSync();
  }
}

/** Pairs the device with the hub the payload names (trimmed; an empty one is refused here). On
 * success the device counts as paired; the caller then syncs. */
export async function pairDevice(payload: string, deviceName: string): Promise<Result<PairInfo>> {
  const text = payload.trim();
  const d = dictFor(locale.lang);
  if (!text) return fail('empty_payload', d.pair.emptyPayload);
  const r = await transport().pair(text, deviceName.trim() || d.pair.deviceDefault);
  if (r.ok) syncState.status = { ...syncState.status, paired: true, error: null };
  return r;
}

/** Whether the app can be locked now: paired, a PIN set, not locked yet, not live on the hub. */
export function canLock(s: SyncStatus): boolean {
  return s.paired && s.pin_set && !s.locked && s.state !== 'live';
}

/** The app lock (`Transport.lock`): on success the status it answers is the new one; a refusal
 * (wrong PIN, wait, weak PIN) comes back for the lock screen to show. Unlocking syncs next. */
export async function lockAction(action: LockAction, pin?: string, old?: string): Promise<Result<SyncStatus>> {
  const r = await transport().lock(action, pin, old);
  if (r.ok) {
    syncState.status = r.value;
    syncState.loaded = true;
    if (action === 'unlock') void syncNow();
  }
  return r;
}

/** Syncs at launch (once the status is known) and each time the app comes back to the
 * foreground; locks the app when it has stayed in the background for [`AUTO_LOCK_MS`]. Returns
 * the function that stops listening. */
export function startAutoSync(): () => void {
  let hiddenAt: number | null = null;
  let lockTimer: ReturnType<typeof setTimeout> | undefined;
  /** Locks if a PIN is set; says whether it did. */
  const lockIfSet = (): boolean => {
    const lock = canLock(syncState.status);
    if (lock) void lockAction('lock');
    return lock;
  };
  const onVisible = () => {
    if (document.visibilityState === 'hidden') {
      hiddenAt = Date.now();
      clearTimeout(lockTimer);
      lockTimer = setTimeout(() => void lockIfSet(), AUTO_LOCK_MS);
      return;
    }
    clearTimeout(lockTimer);
    // Timers may not run while a phone sleeps: the time away decides too.
    const away = hiddenAt !== null && Date.now() - hiddenAt >= AUTO_LOCK_MS;
    hiddenAt = null;
    if (!(away && lockIfSet())) void syncNow();
  };
  document.addEventListener('visibilitychange', onVisible);
  void refreshSync().then(() => syncNow());
  return () => {
    clearTimeout(lockTimer);
    document.removeEventListener('visibilitychange', onVisible);
  };
}

export function resetSync(): void {
  refreshAfterSync = false;
  syncState.status = { ...initial };
  syncState.busy = false;
  syncState.loaded = false;
}
