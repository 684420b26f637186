// The app lock: after pairing the app asks for a PIN (twice) before anything else; a locked app
// shows only the PIN screen and does not sync until unlocked; a wrong PIN shows the shell's
// reason; a forgotten PIN wipes (after a warning) and goes back to pairing; the app locks itself
// after two minutes in the background.
import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import App from '../src/App.svelte';
import type { SyncStatus } from '../src/lib/transport';
import { AUTO_LOCK_MS, startAutoSync, syncState } from '../src/lib/sync.svelte';
import { NOW, WHO } from './fixtures';

const PIN = '190845';

/** A Tauri shell with a PIN lock that behaves like gocua-shell's. */
function lockShell(start: { pin_set: boolean; locked: boolean; paired?: boolean }) {
  const s = { ...start, paired: start.paired ?? true, calls: [] as { cmd: string; payload: Record<string, unknown> }[] };
  const status = (): SyncStatus => ({
    state: 'done',
    last_sync: NOW,
    pending: 0,
    error: null,
    paired: s.paired,
    progress: null,
    pin_set: s.pin_set,
    locked: s.locked,
  });
  mockIPC(async (cmd, payload) => {
    const p = (payload ?? {}) as Record<string, unknown>;
    s.calls.push({ cmd, payload: p });
    switch (cmd) {
      case 'sync_status':
      case 'sync':
        return status();
      case 'set_pin':
        if (String(p.pin).length < 6) throw { code: 'pin_weak', message: 'Mã PIN phải gồm 6 đến 12 chữ số' };
        s.pin_set = true;
        return status();
      case 'unlock':
        if (p.pin !== PIN) throw { code: 'pin_wrong', message: 'Sai mã PIN. Còn 4 lần thử' };
        s.locked = false;
        return status();
      case 'lock':
        s.locked = true;
        return status();
      case 'forget':
        [s.paired, s.pin_set, s.locked] = [false, false, false];
        return status();
      case 'dispatch':
        if ((p as { cmd?: string }).cmd === 'whoami') return WHO;
        if ((p as { cmd?: string }).cmd === 'list_streets') return [];
        throw { code: 'not_mocked', message: String((p as { cmd?: string }).cmd) };
      default:
        throw { code: 'unknown_shell_command', message: cmd };
    }
  });
  return s;
}

async function type(pin: string) {
  for (const k of pin) await fireEvent.click(screen.getByTestId(`pin-key-${k}`));
  await fireEvent.click(screen.getByTestId('pin-ok'));
}

afterEach(() => vi.useRealTimers());

describe('app lock', () => {
  it('asks a paired phone without a PIN to set one, twice, before home', async () => {
    const s = lockShell({ pin_set: false, locked: false });
    render(App);
    expect((await screen.findByTestId('lock')).dataset.step).toBe('new');
    expect(screen.queryByTestId('sync-bar')).toBeNull();
    await type(PIN);
    expect(screen.getByTestId('lock').dataset.step).toBe('confirm');
    await type('246810');
    // Different: back to the first entry with the reason, nothing sent.
    expect((await screen.findByTestId('lock-error')).textContent).toBe('Hai lần nhập không khớp. Hãy đặt lại mã PIN.');
    expect(s.calls.some((c) => c.cmd === 'set_pin')).toBe(false);
    await type(PIN);
    await type(PIN);
    expect(await screen.findByText('Chào Trần Thu Hà')).toBeTruthy();
    const set = s.calls.find((c) => c.cmd === 'set_pin');
    expect(set?.payload).toEqual({ pin: PIN, old: null, lang: 'vi' });
  });

  it('shows only the PIN screen when locked, does not sync, and unlocks with the right PIN', async () => {
    const s = lockShell({ pin_set: true, locked: true });
    render(App);
    expect((await screen.findByTestId('lock')).dataset.step).toBe('unlock');
    expect(s.calls.map((c) => c.cmd)).toEqual(['sync_status']);
    await type('111112');
    expect((await screen.findByTestId('lock-error')).textContent).toBe('Sai mã PIN. Còn 4 lần thử');
    await fireEvent.input(screen.getByTestId('pin-input'), { target: { value: `${PIN}x` } });
    await fireEvent.click(screen.getByTestId('pin-ok'));
    expect(await screen.findByText('Chào Trần Thu Hà')).toBeTruthy();
    expect(s.calls.filter((c) => c.cmd === 'unlock').map((c) => c.payload.pin)).toEqual(['111112', PIN]);
    // Unlocking syncs.
    await waitFor(() => expect(s.calls.some((c) => c.cmd === 'sync')).toBe(true));
  });

  it('wipes and goes back to pairing only after the warning is confirmed', async () => {
    const s = lockShell({ pin_set: true, locked: true });
    render(App);
    await fireEvent.click(await screen.findByTestId('lock-forget'));
    expect(screen.getByText(/Những thay đổi chưa đồng bộ sẽ mất/)).toBeTruthy();
    expect(s.calls.some((c) => c.cmd === 'forget')).toBe(false);
    await fireEvent.click(screen.getByTestId('lock-forget-confirm'));
    expect(await screen.findByTestId('pair-paste')).toBeTruthy();
    expect(s.calls.filter((c) => c.cmd === 'forget')).toHaveLength(1);
  });

  it('locks after two minutes in the background', async () => {
    const s = lockShell({ pin_set: true, locked: false });
    syncState.status = { ...syncState.status, paired: true, pin_set: true, locked: false, state: 'done' };
    vi.useFakeTimers();
    const stop = startAutoSync();
    const hide = (v: 'hidden' | 'visible') => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => v });
      document.dispatchEvent(new Event('visibilitychange'));
    };
    hide('hidden');
    await vi.advanceTimersByTimeAsync(AUTO_LOCK_MS - 1000);
    expect(s.calls.some((c) => c.cmd === 'lock')).toBe(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(s.calls.filter((c) => c.cmd === 'lock')).toHaveLength(1);
    expect(syncState.status.locked).toBe(true);
    hide('visible');
    stop();
  });
});
