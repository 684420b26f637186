// The demo ward answers the office's commands as the hub would: the campaign with its checks,
// the ward against its targets, every breakdown, a daily trend up to today, paired devices with
// revoking, pairing codes; and the office demo's import finds broken rows before it imports.
import { describe, expect, it } from 'vitest';
import { demoTransport } from '../src/lib/demo';
import { demoOfficeApi } from '../src/office/demo';

const vi_ = () => 'vi' as const;

describe('office demo', () => {
  it('answers the office commands', async () => {
    const t = demoTransport(vi_, 200, 'office');
    const c = await t.call('campaign', null);
    expect(c.ok && c.value.campaign.quota_per_volunteer).toBe(20);
    if (!c.ok) return;
    const bad = await t.call('update_campaign', { campaign: { ...c.value.campaign, eligible_age: 30 } });
    expect(bad).toEqual({ ok: false, error: { code: 'campaign_age', message: 'Tuổi trong diện phải từ 14 đến 18, không phải 30' } });
    const good = await t.call('update_campaign', { campaign: { ...c.value.campaign, quota_per_volunteer: 25 } });
    expect(good.ok && good.value.campaign.quota_per_volunteer).toBe(25);

    const ward = await t.call('progress', { by: 'ward' });
    expect(ward.ok && ward.value[0]?.target?.activated).toBeGreaterThan(0);
    for (const by of ['group', 'street', 'team', 'volunteer', 'org'] as const) {
      const r = await t.call('progress', { by });
      expect(r.ok && r.value.length, by).toBeGreaterThan(1);
    }
    const days = await t.call('daily_progress', null);
    if (days.ok) {
      const cum = days.value.map((d) => d.cumulative_activated);
      expect(cum.every((x, i) => i === 0 || x >= (cum[i - 1] ?? 0))).toBe(true);
    }

    const devices = await t.call('list_devices', null);
    expect(devices.ok && devices.value.length).toBe(8);
    const revoked = await t.call('revoke_device', { device: 'd-001' });
    expect(revoked.ok && revoked.value.revoked).toBe(true);
    const code = await t.call('issue_pairing', { role: 'lead', team: 't-01' });
    expect(code.ok && code.value.svg.startsWith('<svg')).toBe(true);
    expect((await t.call('issue_pairing', { role: 'volunteer' })).ok).toBe(false);
  });

  it('previews an import with row errors, then imports the valid rows', async () => {
    const api = demoOfficeApi(() => 'en');
    const seen: number[] = [];
    const preview = await api.upload(new Blob(['x'.repeat(100)]), 'list.xlsx', false, (p) => seen.push(p.loaded));
    expect(preview.ok && preview.value.imported).toBe(false);
    expect(preview.ok && preview.value.errors[0]?.message).toMatch(/^Row 14/);
    expect(seen.length).toBeGreaterThan(1);
    const done = await api.upload(new Blob(['x']), 'list.xlsx', true, () => {});
    expect(done.ok && done.value.summary.created).toBeGreaterThan(0);
    expect(api.reportUrl('vi')).toBeNull();
  });
});
