// The sync bar always shows the state, the last sync time and the changes not yet on the hub,
// gives the reason of a failure, shows a sync's progress, and its button asks the shell to sync.
// The app syncs at launch and when it comes back to the foreground.
import type { Channel } from '@tauri-apps/api/core';
import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import SyncBar from '../src/components/SyncBar.svelte';
import { refreshSync, startAutoSync, syncState } from '../src/lib/sync.svelte';
import type { SyncProgressEvent } from '../src/lib/transport';
import { NOW, type ShellStatus, mockBackend } from './fixtures';

function at(status: ShellStatus, sync?: () => ShellStatus | Promise<ShellStatus>) {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW * 1000 });
  mockBackend({}, { status, sync });
}

describe('sync bar', () => {
  it('shows the last sync and what is not sent yet', async () => {
    at({ state: 'done', last_sync: NOW - 2 * 3600, pending: 3, error: null });
    await refreshSync();
    render(SyncBar);
    // Synced earlier, but changes were made since: not "Đã đồng bộ".
    expect(screen.getByText('Chờ đồng bộ')).toBeTruthy();
    expect(screen.getByTestId('sync-bar').textContent).toContain('Lần cuối: hôm nay 18:00');
    expect(screen.getByText('3 thay đổi chưa gửi')).toBeTruthy();
  });

  it('says when it never synced', async () => {
    at({ state: 'idle', last_sync: null, pending: 1, error: null });
    await refreshSync();
    render(SyncBar);
    expect(screen.getByTestId('sync-bar').textContent).toContain('Chưa đồng bộ lần nào');
  });

  it('syncs on the button, showing progress then the result', async () => {
    let finish: ((s: ShellStatus) => void) | undefined;
    at({ state: 'done', last_sync: NOW - 86400, pending: 2, error: null }, () => new Promise((res) => (finish = res)));
    await refreshSync();
    render(SyncBar);
    await fireEvent.click(screen.getByRole('button', { name: 'Đồng bộ' }));
    expect(await screen.findByText('Đang đồng bộ…')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Đồng bộ' })).toHaveProperty('disabled', true);
    finish?.({ state: 'done', last_sync: NOW, pending: 0, error: null });
    expect(await screen.findByText('Mọi thay đổi đã gửi')).toBeTruthy();
    expect(screen.getByText('Đã đồng bộ')).toBeTruthy();
    expect(screen.getByTestId('sync-bar').textContent).toContain('Lần cuối: hôm nay 20:00');
  });

  it('counts a change saved while a sync was under way once the sync ends', async () => {
    let finish: ((s: ShellStatus) => void) | undefined;
    // The shell: the sync answers the count it had when it ended (0); a visit saved just after
    // makes the status say 1.
    let pendingNow = 0;
    vi.useFakeTimers({ toFake: ['Date'], now: NOW * 1000 });
    mockIPC(async (cmd) => {
      if (cmd === 'sync') return new Promise((res) => (finish = res));
      return { state: 'unreachable', last_sync: NOW - 86400, pending: pendingNow, error: null };
    });
    await refreshSync();
    render(SyncBar);
    await fireEvent.click(screen.getByRole('button', { name: 'Đồng bộ' }));
    await waitFor(() => expect(finish).toBeDefined());
    pendingNow = 1;
    await refreshSync(); // what the visit screen does after saving, while the sync is busy
    finish?.({ state: 'unreachable', last_sync: NOW - 86400, pending: 0, error: null });
    await waitFor(() => expect(screen.getByTestId('sync-pending').dataset.pending).toBe('1'));
  });

  it('gives the reason of a failure and tells an unreachable hub apart', async () => {
    at({ state: 'failed', last_sync: NOW - 86400, pending: 4, error: { code: 'device_revoked', message: 'Thiết bị đã bị thu hồi' } });
    await refreshSync();
    const { unmount } = render(SyncBar);
    expect(screen.getByText('Đồng bộ không thành công')).toBeTruthy();
    expect(screen.getByText('Lý do: Thiết bị đã bị thu hồi')).toBeTruthy();
    unmount();
    at({ state: 'unreachable', last_sync: NOW - 86400, pending: 4, error: { code: 'hub_unreachable', message: 'Không kết nối được máy chủ phường' } });
    await refreshSync();
    render(SyncBar);
    expect(screen.getByText('Không kết nối được máy chủ phường', { selector: 'strong' })).toBeTruthy();
    expect(screen.getByText('4 thay đổi chưa gửi')).toBeTruthy();
  });

  it('shows how far a sync is while it runs', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW * 1000 });
    let finish: (() => void) | undefined;
    mockIPC((cmd, payload) => {
      const done = { state: 'done', last_sync: NOW, pending: 0, error: null, paired: true, progress: null };
      if (cmd !== 'sync') return { ...done, last_sync: NOW - 86400, pending: 5 };
      const ch = (payload as { onProgress: Channel<SyncProgressEvent> }).onProgress;
      const internals = (window as unknown as { __TAURI_INTERNALS__: { runCallback: (id: number, data: unknown) => void } }).__TAURI_INTERNALS__;
      internals.runCallback(ch.id, { index: 0, message: { round: 1, docs_received: 120, docs_remaining: 360 } });
      return new Promise((res) => (finish = () => res(done)));
    });
    await refreshSync();
    render(SyncBar);
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(screen.getByTestId('sync-state').textContent).toBe('Đang đồng bộ… 120/480'));
    expect(screen.getByTestId('sync-state').dataset.state).toBe('syncing');
    expect(screen.getByTestId('sync-pending').dataset.pending).toBe('5');
    finish?.();
    await waitFor(() => expect(screen.getByTestId('sync-state').textContent).toBe('Đã đồng bộ'));
    expect(syncState.status.progress).toBeNull();
  });

  it('syncs at launch and again when the app comes back to the foreground', async () => {
    const shell: string[] = [];
    mockIPC((cmd) => {
      shell.push(cmd);
      return { state: 'done', last_sync: NOW, pending: 0, error: null, paired: true, progress: null };
    });
    const stop = startAutoSync();
    await waitFor(() => expect(shell).toEqual(['sync_status', 'sync']));
    vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    document.dispatchEvent(new Event('visibilitychange'));
    vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('visible');
    document.dispatchEvent(new Event('visibilitychange'));
    await waitFor(() => expect(shell).toEqual(['sync_status', 'sync', 'sync']));
    stop();
    document.dispatchEvent(new Event('visibilitychange'));
    await new Promise((r) => setTimeout(r, 10));
    expect(shell).toHaveLength(3);
  });

  it('does not sync an unpaired device', async () => {
    const shell: string[] = [];
    mockIPC((cmd) => {
      shell.push(cmd);
      return { state: 'idle', last_sync: null, pending: 0, error: null, paired: false, progress: null };
    });
    const stop = startAutoSync();
    await waitFor(() => expect(syncState.loaded).toBe(true));
    await new Promise((r) => setTimeout(r, 10));
    expect(shell).toEqual(['sync_status']);
    stop();
  });
});
