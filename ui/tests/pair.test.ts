// The pairing screen: an unpaired device opens on it (and does not try to sync); a pasted code is
// trimmed and sent to the shell's `pair`, then one sync, then home; a refusal shows the shell's
// message and the user can try again; a camera that may not be used leaves the other ways open.
// (The camera path: pair-camera.test.ts.)
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import App from '../src/App.svelte';
import Pair from '../src/screens/Pair.svelte';
import { INFO, pairShell as shell } from './fixtures';

describe('pairing screen', () => {
  it('is what an unpaired device opens on, and it does not sync before pairing', async () => {
    const s = shell(() => INFO);
    render(App);
    expect(await screen.findByTestId('pair-paste')).toBeTruthy();
    expect(screen.queryByTestId('sync-bar')).toBeNull();
    expect(s.calls.map((c) => c.cmd)).toEqual(['sync_status']);
  });

  it('pairs with the pasted code trimmed, syncs once, then goes home', async () => {
    const s = shell(() => INFO);
    render(App);
    await fireEvent.input(await screen.findByTestId('pair-paste'), { target: { value: '  gocua:1:10.0.0.2:8470:ab12cd34\n' } });
    await fireEvent.click(screen.getByTestId('pair-submit'));
    expect(await screen.findByText('Chào Trần Thu Hà')).toBeTruthy();
    expect(screen.getByTestId('sync-bar')).toBeTruthy();
    const pair = s.calls.find((c) => c.cmd === 'pair');
    expect(pair?.payload.payload).toBe('gocua:1:10.0.0.2:8470:ab12cd34');
    expect(pair?.payload.lang).toBe('vi');
    expect(String(pair?.payload.deviceName)).toMatch(/^Điện thoại [A-HJ-NP-Z2-9]{4}$/);
    // Status at launch, the pairing, then exactly one sync before home.
    const shellCalls = s.calls.map((c) => c.cmd).filter((c) => c !== 'dispatch');
    expect(shellCalls).toEqual(['sync_status', 'pair', 'sync']);
  });

  it('sends the device name the user typed', async () => {
    const s = shell(() => INFO);
    render(Pair, { ondone: () => {} });
    await fireEvent.input(screen.getByTestId('pair-device-name'), { target: { value: 'Máy của Hà' } });
    await fireEvent.input(screen.getByTestId('pair-paste'), { target: { value: 'gocua:x' } });
    await fireEvent.click(screen.getByTestId('pair-submit'));
    await waitFor(() => expect(s.calls.some((c) => c.cmd === 'sync')).toBe(true));
    expect(s.calls.find((c) => c.cmd === 'pair')?.payload.deviceName).toBe('Máy của Hà');
  });

  it('shows a refusal in the words of the shell and lets the user try again', async () => {
    let attempts = 0;
    const s = shell(() => {
      attempts += 1;
      if (attempts === 1) throw { code: 'pairing_code_expired', message: 'Mã ghép nối đã hết hạn: xin mã mới ở máy chủ phường' };
      return INFO;
    });
    const done = vi.fn();
    render(Pair, { ondone: done });
    await fireEvent.input(screen.getByTestId('pair-paste'), { target: { value: 'gocua:old' } });
    await fireEvent.click(screen.getByTestId('pair-submit'));
    expect((await screen.findByTestId('pair-error')).textContent).toBe('Mã ghép nối đã hết hạn: xin mã mới ở máy chủ phường');
    expect(s.calls.some((c) => c.cmd === 'sync')).toBe(false);
    expect(done).not.toHaveBeenCalled();
    await fireEvent.input(screen.getByTestId('pair-paste'), { target: { value: 'gocua:new' } });
    await fireEvent.click(screen.getByTestId('pair-submit'));
    await waitFor(() => expect(done).toHaveBeenCalledTimes(1));
    expect(screen.queryByTestId('pair-error')).toBeNull();
    expect(s.calls.filter((c) => c.cmd === 'pair').map((c) => c.payload.payload)).toEqual(['gocua:old', 'gocua:new']);
  });

  it('refuses an empty code without asking the shell', async () => {
    const s = shell(() => INFO);
    render(Pair, { ondone: () => {} });
    await fireEvent.input(screen.getByTestId('pair-paste'), { target: { value: '   ' } });
    await fireEvent.click(screen.getByTestId('pair-submit'));
    expect((await screen.findByTestId('pair-error')).textContent).toBe('Hãy dán mã ghép nối trước.');
    expect(s.calls.some((c) => c.cmd === 'pair')).toBe(false);
  });

  it('says when the camera may not be used, and keeps the other ways open', async () => {
    shell(() => INFO);
    vi.stubGlobal('navigator', {
      ...navigator,
      mediaDevices: { getUserMedia: vi.fn(async () => Promise.reject(new DOMException('denied', 'NotAllowedError'))) },
    });
    render(Pair, { ondone: () => {} });
    expect((await screen.findByTestId('pair-camera-problem')).textContent).toContain('chưa được phép dùng camera');
    expect(screen.getByTestId('pair-camera')).toBeTruthy();
    expect(screen.getByTestId('pair-file')).toBeTruthy();
  });
});
