// The sync bar always shows the state, the last sync time and the changes not yet on the hub,
// gives the reason of a failure, and its button asks the shell to sync.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import SyncBar from '../src/components/SyncBar.svelte';
import { refreshSync } from '../src/lib/sync.svelte';
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
});
