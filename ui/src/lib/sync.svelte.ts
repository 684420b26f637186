// Sync state for the sync bar and the pairing screen: last sync time, changes not yet on the
// hub, whether the device is paired, and what is happening now (with the shell's progress). The
// shell does the work (`Transport.sync`, `Transport.pair`); this asks, remembers, and syncs on
// launch, when the app comes back to the foreground, and on the button.
import type { CommandError } from './bindings/CommandError';
import { transport } from './api';
import { dictFor, locale } from './i18n/index.svelte';
import { type PairInfo, type Result, type SyncStatus, fail } from './transport';

const initial: SyncStatus = { state: 'idle', last_sync: null, pending: 0, error: null, paired: true, progress: null };

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

export async function refreshSync(): Promise<void> {
  if (syncState.busy) return;
  const r = await transport().syncStatus();
  if (syncState.busy) return;
  syncState.status = r.ok ? r.value : failed(r.error);
  syncState.loaded = true;
}

/** Syncs now, unless a sync is under way, the device is not paired, or the page is live on the
 * hub. Recording never waits for it: commands go to the local replica meanwhile. */
export async function syncNow(): Promise<void> {
  if (syncState.busy || !syncState.status.paired || syncState.status.state === 'live') return;
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

/** Syncs at launch (once the status is known) and each time the app comes back to the
 * foreground; returns the function that stops listening. */
export function startAutoSync(): () => void {
  const onVisible = () => {
    if (document.visibilityState === 'visible') void syncNow();
  };
  document.addEventListener('visibilitychange', onVisible);
  void refreshSync().then(() => syncNow());
  return () => document.removeEventListener('visibilitychange', onVisible);
}

export function resetSync(): void {
  syncState.status = { ...initial };
  syncState.busy = false;
  syncState.loaded = false;
}
