// The transport contract: inside Tauri it sends `dispatch` with {cmd, args, lang}; over HTTP it
// POSTs the same JSON to /api/v1/command/{cmd}; errors come back as {code, message} in the
// user's language, never as exceptions.
import { mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, it, vi } from 'vitest';
import { setLang } from '../src/lib/i18n/index.svelte';
import { detectTransport, httpTransport, inTauri } from '../src/lib/transport';
import { call } from '../src/lib/api';

const vi_ = () => 'vi' as const;

describe('Tauri transport', () => {
  it('is picked inside Tauri and sends the right payload', async () => {
    const seen: { cmd: string; payload: unknown }[] = [];
    mockIPC((cmd, payload) => {
      seen.push({ cmd, payload });
      return [{ id: 's-001', name: 'Ngõ 12 Trúc Bạch' }];
    });
    expect(inTauri()).toBe(true);
    const t = detectTransport(vi_);
    expect(t.kind).toBe('tauri');
    const r = await t.call('list_streets', { team: 't-01' });
    expect(r).toEqual({ ok: true, value: [{ id: 's-001', name: 'Ngõ 12 Trúc Bạch' }] });
    expect(seen).toEqual([{ cmd: 'dispatch', payload: { cmd: 'list_streets', args: { team: 't-01' }, lang: 'vi' } }]);
  });

  it('sends the chosen language and unit commands with null arguments', async () => {
    const seen: unknown[] = [];
    mockIPC((_cmd, payload) => {
      seen.push(payload);
      return null;
    });
    setLang('en');
    await call('whoami', null);
    expect(seen).toEqual([{ cmd: 'whoami', args: null, lang: 'en' }]);
  });

  it('returns a refused command as {code, message}', async () => {
    mockIPC(() => {
      throw { code: 'outside_window', message: 'Giờ hẹn nằm ngoài khung giờ đi 18:00–21:30' };
    });
    const r = await detectTransport(vi_).call('household_detail', { id: 'h-1' });
    expect(r).toEqual({ ok: false, error: { code: 'outside_window', message: 'Giờ hẹn nằm ngoài khung giờ đi 18:00–21:30' } });
  });

  it('wraps a shell failure that is not a CommandError', async () => {
    mockIPC(() => {
      throw 'command dispatch not found';
    });
    const r = await detectTransport(() => 'en').call('whoami', null);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toEqual({ code: 'transport', message: 'The app could not run the command: command dispatch not found' });
  });

  it('asks the shell for sync status and to sync', async () => {
    const seen: string[] = [];
    mockIPC((cmd) => {
      seen.push(cmd);
      return { state: 'done', last_sync: 1, pending: 0, error: null };
    });
    const t = detectTransport(vi_);
    expect((await t.syncStatus()).ok).toBe(true);
    expect((await t.sync()).ok).toBe(true);
    expect(seen).toEqual(['sync_status', 'sync']);
  });
});

describe('HTTP transport', () => {
  it('is picked outside Tauri and posts the arguments as JSON', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify([]), { status: 200 }));
    vi.stubGlobal('fetch', fetch);
    const t = detectTransport(vi_);
    expect(t.kind).toBe('http');
    const r = await t.call('list_households', { filter: { team: 't-01' } });
    expect(r).toEqual({ ok: true, value: [] });
    expect(fetch).toHaveBeenCalledWith('/api/v1/command/list_households', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'accept-language': 'vi' },
      body: JSON.stringify({ filter: { team: 't-01' } }),
    });
  });

  it('reads error bodies in the user language', async () => {
    const body = { code: 'forbidden', message_vi: 'Chỉ tổ trưởng…', message_en: 'Only team leads…' };
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify(body), { status: 403 }));
    expect(await httpTransport(() => 'en').call('whoami', null)).toEqual({ ok: false, error: { code: 'forbidden', message: 'Only team leads…' } });
    expect(await httpTransport(vi_).call('whoami', null)).toEqual({ ok: false, error: { code: 'forbidden', message: 'Chỉ tổ trưởng…' } });
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ code: 'not_found', message: 'Không tìm thấy hộ "h-9"' }), { status: 404 }));
    expect(await httpTransport(vi_).call('household_detail', { id: 'h-9' })).toEqual({ ok: false, error: { code: 'not_found', message: 'Không tìm thấy hộ "h-9"' } });
  });

  it('says the hub is unreachable, in Vietnamese or English', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    const r = await httpTransport(vi_).call('whoami', null);
    expect(r.ok || r.error.code).toBe('hub_unreachable');
    expect(r.ok || r.error.message).toMatch(/^Không kết nối được máy chủ phường/);
    const e = await httpTransport(() => 'en').call('whoami', null);
    expect(e.ok || e.error.message).toMatch(/^Cannot reach the ward hub/);
  });

  it('treats an unreadable reply as an error, not a crash', async () => {
    vi.stubGlobal('fetch', async () => new Response('<html>proxy</html>', { status: 502 }));
    const r = await httpTransport(vi_).call('whoami', null);
    expect(r).toEqual({ ok: false, error: { code: 'bad_reply', message: 'Máy chủ trả lời không đọc được (HTTP 502)' } });
  });

  it('has nothing to sync: the hub is the replica', async () => {
    const s = await httpTransport(vi_).syncStatus();
    expect(s).toEqual({ ok: true, value: { state: 'live', last_sync: null, pending: 0, error: null } });
  });
});
