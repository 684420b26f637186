// Pairing by camera: the screen opens the back camera by itself, a code read from a frame pairs
// with no tap, and the camera's tracks are stopped once the code is read.
import { render, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import Pair from '../src/screens/Pair.svelte';
import { INFO, pairShell as shell } from './fixtures';

// jsdom has no camera, no video frames and no canvas pixels: stand in for the frame grab and
// for jsQR's answer (the real decoder runs in the browser end-to-end test, on a fake camera).
vi.mock('../src/lib/qr', async (original) => ({
  ...(await original<typeof import('../src/lib/qr')>()),
  grab: () => ({ data: new Uint8ClampedArray(4), width: 1, height: 1 }),
  loadDecoder: async () => () => 'gocua:1:from-camera',
}));

describe('pairing by camera', () => {
  it('opens the back camera by itself, pairs with the code it reads, and stops the camera', async () => {
    const s = shell(() => INFO);
    // jsdom has no camera, no video frames and no canvas pixels: stand in for all three, and for
    // jsQR's answer (the decoder itself runs in the browser end-to-end test).
    const stop = vi.fn();
    const getUserMedia = vi.fn(async () => ({ getTracks: () => [{ stop }] }) as unknown as MediaStream);
    vi.stubGlobal('navigator', { ...navigator, mediaDevices: { getUserMedia } });
    vi.spyOn(HTMLMediaElement.prototype, 'play').mockResolvedValue(undefined);
    vi.spyOn(HTMLMediaElement.prototype, 'readyState', 'get').mockReturnValue(4);
    vi.spyOn(HTMLVideoElement.prototype, 'videoWidth', 'get').mockReturnValue(640);
    vi.spyOn(HTMLVideoElement.prototype, 'videoHeight', 'get').mockReturnValue(480);
    const done = vi.fn();
    render(Pair, { ondone: done });
    await waitFor(() => expect(done).toHaveBeenCalledTimes(1), { timeout: 3000 });
    expect(getUserMedia).toHaveBeenCalledWith({ video: { facingMode: 'environment' }, audio: false });
    expect(s.calls.find((c) => c.cmd === 'pair')?.payload.payload).toBe('gocua:1:from-camera');
    expect(stop).toHaveBeenCalled();
  });
});
