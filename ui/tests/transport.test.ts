// The transport contract: inside Tauri it sends `dispatch` with {cmd, args, lang}, `sync` with a
// progress Channel, `pair`; over HTTP it POSTs the same JSON to /api/v1/command/{cmd} and the
// browser shell's /api/v1/shell/*, or finds it is on the hub itself; errors come back as
// {code, message} in the user's language, never as exceptions.
import { Channel } from '@tauri-apps/api/core';
import { mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, it, vi } from 'vitest';
import { setLang } from '../src/lib/i18n/index.svelte';
import { type PairInfo, type SyncProgressEvent, detectTransport, httpTransport, inTauri } from '../src/lib/transport';
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

  it('streams sync progress through a Channel and resolves with the status after it', async () => {
    const events: SyncProgressEvent[] = [
      { round: 1, docs_received: 120, docs_remaining: 360 },
      { round: 2, docs_received: 480, docs_remaining: 0 },
    ];
    let sentLang: unknown;
    mockIPC((cmd, payload) => {
      if (cmd !== 'sync') throw { code: 'unexpected', message: cmd };
      const p = payload as { lang: string; onProgress: Channel<SyncProgressEvent> };
      sentLang = p.lang;
      expect(p.onProgress).toBeInstanceOf(Channel);
      // What the Rust side's `Channel::send` does: one indexed message per event.
      const internals = (window as unknown as { __TAURI_INTERNALS__: { runCallback: (id: number, data: unknown) => void } }).__TAURI_INTERNALS__;
      events.forEach((message, index) => internals.runCallback(p.onProgress.id, { index, message }));
      return { state: 'done', last_sync: 1_800_000_000, pending: 0, error: null, paired: true, progress: null };
    });
    const seen: SyncProgressEvent[] = [];
    const r = await detectTransport(vi_).sync((e) => seen.push(e));
    expect(sentLang).toBe('vi');
    expect(seen).toEqual(events);
    expect(r).toEqual({
      ok: true,
      value: { state: 'done', last_sync: 1_800_000_000, pending: 0, error: null, paired: true, progress: null, pin_set: true, locked: false },
    });
  });

  it('reports a failed sync as a status, and fills in what an older shell leaves out', async () => {
    mockIPC(() => ({ state: 'unreachable', last_sync: null, pending: 7, error: { code: 'hub_unreachable', message: 'Không kết nối được' } }));
    const r = await detectTransport(vi_).sync();
    expect(r).toEqual({
      ok: true,
      value: {
        state: 'unreachable',
        last_sync: null,
        pending: 7,
        error: { code: 'hub_unreachable', message: 'Không kết nối được' },
        paired: true,
        progress: null,
        pin_set: true,
        locked: false,
      },
    });
  });

  it('pairs with the trimmed payload, the device name and the language', async () => {
    const info: PairInfo = { hub_urls: ['http://10.0.0.2:8470'], fingerprint: 'ab:cd', device_id: 'd-1', role: 'volunteer', team: 't-01', volunteer: 'p-05', ward: 'Phường Trúc Bạch' };
    const seen: { cmd: string; payload: unknown }[] = [];
    mockIPC((cmd, payload) => {
      seen.push({ cmd, payload });
      return info;
    });
    setLang('en');
    const r = await detectTransport(() => 'en').pair('  gocua:1:abc\n', 'Điện thoại 7KQ2');
    expect(r).toEqual({ ok: true, value: info });
    expect(seen).toEqual([{ cmd: 'pair', payload: { payload: 'gocua:1:abc', deviceName: 'Điện thoại 7KQ2', lang: 'en' } }]);
  });

  it('returns a refused pairing as {code, message}', async () => {
    mockIPC(() => {
      throw { code: 'pairing_code_used', message: 'Mã ghép nối này đã được dùng' };
    });
    const r = await detectTransport(vi_).pair('gocua:1:old', 'Điện thoại');
    expect(r).toEqual({ ok: false, error: { code: 'pairing_code_used', message: 'Mã ghép nối này đã được dùng' } });
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

  it('on the hub itself (no shell, 404) is live and paired, with nothing to sync', async () => {
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) => new Response(JSON.stringify({ code: 'not_found', message: 'Không có' }), { status: 404 }));
    vi.stubGlobal('fetch', fetch);
    const t = httpTransport(vi_);
    const live = { ok: true, value: { state: 'live', last_sync: null, pending: 0, error: null, paired: true, progress: null, pin_set: true, locked: false } };
    expect(await t.syncStatus()).toEqual(live);
    expect(await t.sync()).toEqual(live);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch.mock.calls[0]?.[0]).toBe('/api/v1/shell/status');
    const p = await t.pair('gocua:x', 'Điện thoại');
    expect(p.ok || p.error.code).toBe('no_shell');
  });

  it('over a phone replica, asks its shell for status, sync and pairing', async () => {
    const status = { state: 'idle', last_sync: null, pending: 2, error: null, paired: false, progress: null, pin_set: false, locked: false };
    const info = { hub_urls: ['http://10.0.0.2:8470'], fingerprint: 'ab', device_id: 'd-9', role: 'team_lead', team: 't-01', volunteer: null, ward: 'Phường Trúc Bạch' };
    const calls: { url: string; body: unknown; lang: string }[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, body: JSON.parse(String(init.body)), lang: (init.headers as Record<string, string>)['accept-language'] ?? '' });
      if (url.endsWith('/pair')) return new Response(JSON.stringify(info), { status: 200 });
      return new Response(JSON.stringify(status), { status: 200 });
    });
    const t = httpTransport(() => 'en');
    expect(await t.syncStatus()).toEqual({ ok: true, value: status });
    expect(await t.pair(' gocua:1:abc ', 'Máy của Hà')).toEqual({ ok: true, value: info });
    expect((await t.sync()).ok).toBe(true);
    expect(calls).toEqual([
      { url: '/api/v1/shell/status', body: null, lang: 'en' },
      { url: '/api/v1/shell/pair', body: { payload: 'gocua:1:abc', device_name: 'Máy của Hà' }, lang: 'en' },
      { url: '/api/v1/shell/sync', body: null, lang: 'en' },
    ]);
  });

  it('returns a refused pairing over the browser shell as {code, message}', async () => {
    vi.stubGlobal('fetch', async (url: string) =>
      url.endsWith('/pair')
        ? new Response(JSON.stringify({ code: 'bad_pairing_code', message: 'Mã ghép nối không hợp lệ' }), { status: 400 })
        : new Response(JSON.stringify({ state: 'idle', last_sync: null, pending: 0, error: null, paired: false, progress: null }), { status: 200 }),
    );
    expect(await httpTransport(vi_).pair('rác', 'Điện thoại')).toEqual({ ok: false, error: { code: 'bad_pairing_code', message: 'Mã ghép nối không hợp lệ' } });
  });
});
