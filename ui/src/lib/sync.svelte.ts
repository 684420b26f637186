// Sync state for the sync bar: last sync time, changes not yet on the hub, and what is
// happening now. The shell does the work (`Transport.sync`); this only asks and remembers.
import type { CommandError } from './bindings/CommandError';
import { transport } from './api';
import type { SyncStatus } from './transport';

const initial: SyncStatus = { state: 'idle', last_sync: null, pending: 0, error: null };

export const syncState = $state<{ status: SyncStatus; busy: boolean }>({ status: { ...initial }, busy: false });

function failed(error: CommandError): SyncStatus {
  return { ...syncState.status, state: error.code === 'hub_unreachable' ? 'unreachable' : 'failed', error };
}

export async function refreshSync(): Promise<void> {
  if (syncState.busy) return;
  const r = await transport().syncStatus();
  syncState.status = r.ok ? r.value : failed(r.error);
}

export async function syncNow(): Promise<void> {
  if (syncState.busy) return;
  syncState.busy = true;
  syncState.status = { ...syncState.status, state: 'syncing', error: null };
  try {
    const r = await transport().sync();
    syncState.status = r.ok ? r.value : failed(r.error);
  } finally {
    syncState.busy = false;
  }
}

export function resetSync(): void {
  syncState.status = { ...initial };
  syncState.busy = false;
}
