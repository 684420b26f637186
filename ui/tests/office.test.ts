// The ward office's dashboard over a mocked hub (`fetch` and XMLHttpRequest): signing in with
// the link's token (stripped from the address bar), no session, expiry mid-use, sign out; the
// figures in the reports' form; breakdown sorting; the import wizard's error table and "import
// the valid rows"; revoking a device; the pairing QR; the campaign settings' refusal in the
// user's language; the paper results as a visit credited to the volunteer.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { setTransport } from '../src/lib/api';
import type { DeviceRow } from '../src/lib/bindings/DeviceRow';
import type { ImportReport } from '../src/lib/bindings/ImportReport';
import type { TeamRow } from '../src/lib/bindings/TeamRow';
import { locale, setLang } from '../src/lib/i18n/index.svelte';
import { httpTransport } from '../src/lib/transport';
import { watchSession } from '../src/office/api';
import Breakdown from '../src/office/components/Breakdown.svelte';
import { percent, ratio } from '../src/office/format';
import Office from '../src/office/Office.svelte';
import { paperVisit } from '../src/office/paper';
import { scalable, svgDataUrl } from '../src/office/qr';
import { lose, session, startSession } from '../src/office/session.svelte';
import { goPage } from '../src/office/nav.svelte';
import { type Handler, CAMPAIGN, mockHub, mockXhr, progressHandlers, prow, refused } from './office-fixtures';

/** What main.ts does: commands over HTTP, a lost session back to the sign-in screen. */
async function boot(): Promise<void> {
  setTransport(watchSession(httpTransport(() => locale.lang), lose));
  render(Office);
  await startSession();
}

describe('figures in the reports’ form', () => {
  it('writes 607.583 / 859.549 (70,68%) in Vietnamese and 607,583 / 859,549 (70.68%) in English', () => {
    expect(ratio(607_583, 859_549, 'vi')).toBe('607.583 / 859.549 (70,68%)');
    expect(ratio(607_583, 859_549, 'en')).toBe('607,583 / 859,549 (70.68%)');
    // Truncated, never rounded up to a target not reached yet.
    expect(percent(99_999, 100_000, 'vi')).toBe('99,99%');
    expect(percent(5, 0, 'en')).toBe('0.00%');
  });

  it('shows the ward against its targets on the home page', async () => {
    mockHub(progressHandlers());
    await boot();
    const ratios = await screen.findAllByTestId('ratio');
    expect(ratios.map((x) => x.textContent)).toEqual(['800.000 / 880.000 (90,90%)', '500.000 / 700.000 (71,42%)', '607.583 / 859.549 (70,68%)']);
    expect(screen.getByText('Kích hoạt tài khoản định danh điện tử')).toBeTruthy();
    setLang('en');
    await waitFor(() => expect(screen.getAllByTestId('ratio')[2]?.textContent).toBe('607,583 / 859,549 (70.68%)'));
  });
});

describe('breakdowns', () => {
  const rows = [
    prow('g-1', 'Tổ dân phố 1', { households: 10, eligible: 100, activated: 20, cccd: 90, level2: 50 }),
    prow('g-2', 'Tổ dân phố 2', { households: 30, eligible: 200, activated: 150, cccd: 190, level2: 120 }),
    prow('', '', { households: 5, eligible: 40, activated: 1 }),
  ];
  const names = () => screen.getAllByRole('row').slice(1).map((r) => within(r).getAllByRole('cell')[0]?.textContent);

  it('sorts by activations first, then by the column clicked, and names the unassigned row', async () => {
    render(Breakdown, { rows });
    expect(names()).toEqual(['Tổ dân phố 2', 'Tổ dân phố 1', 'Chưa giao cho tổ nào']);
    expect(screen.getByText('150 / 200 (75,00%)')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: /Kích hoạt/ }));
    expect(names()).toEqual(['Chưa giao cho tổ nào', 'Tổ dân phố 1', 'Tổ dân phố 2']);
    await fireEvent.click(screen.getByRole('button', { name: /^Tên/ }));
    expect(names()).toEqual(['Chưa giao cho tổ nào', 'Tổ dân phố 1', 'Tổ dân phố 2']);
    expect(screen.getByRole('columnheader', { name: /Tên/ }).getAttribute('aria-sort')).toBe('ascending');
  });

  it('asks the hub for the tab chosen', async () => {
    const hub = mockHub(progressHandlers({ progress: (({ by }: { by: string }) => (by === 'street' ? [prow('s-1', 'Ngõ 12 Trúc Bạch', { eligible: 10, activated: 4 })] : by === 'ward' ? [] : [])) as Handler }));
    await boot();
    await fireEvent.click(await screen.findByRole('tab', { name: 'Đường, ngõ' }));
    expect(await screen.findByText('Ngõ 12 Trúc Bạch')).toBeTruthy();
    expect(hub.commands('progress')).toContainEqual({ by: 'street' });
  });
});

describe('signing in', () => {
  it('takes the token from #signin=, removes it from the address bar and signs in', async () => {
    history.replaceState(null, '', '/office/#signin=abc123');
    const hub = mockHub(progressHandlers());
    await boot();
    expect(location.hash).toBe('');
    expect(location.href).not.toContain('abc123');
    const post = hub.sent.find((s) => s.path === '/api/v1/office/session');
    expect(post?.method).toBe('POST');
    expect(post?.body).toEqual({ token: 'abc123' });
    expect(post?.headers['content-type']).toBe('application/json');
    expect(session.status).toBe('in');
    expect(await screen.findByText(/Văn phòng phường · Phường Trúc Bạch/)).toBeTruthy();
  });

  it('speaks the session’s language unless this browser chose one', async () => {
    mockHub(progressHandlers(), { GET: () => ({ ward: 'Phường Trúc Bạch', expires_at: 1_900_000_000, lang: 'en' }) });
    await boot();
    expect(await screen.findByRole('button', { name: 'Sign out' })).toBeTruthy();
  });

  it('goes back to the sign-in screen when an upload finds the session gone', async () => {
    mockHub(progressHandlers());
    mockXhr(() => ({ status: 401, body: { code: 'session_expired', message_vi: 'Hết hạn', message_en: 'Expired' } }));
    await boot();
    goPage('import');
    await screen.findByText('Nhập danh sách hộ, nhân khẩu');
    const input = document.querySelector('input[type=file]') as HTMLInputElement;
    Object.defineProperty(input, 'files', { value: [new File(['x'], 'a.csv')], configurable: true });
    await fireEvent.change(input);
    await fireEvent.click(screen.getByRole('button', { name: 'Kiểm tra tệp' }));
    expect(await screen.findByText('Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại.')).toBeTruthy();
  });

  it('says so when the link was used or expired', async () => {
    history.replaceState(null, '', '/office/#signin=used');
    mockHub({}, { POST: () => refused(401, 'signin_invalid', 'Link đã dùng', 'Link used') });
    await boot();
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'Đường link đăng nhập không dùng được nữa (đã dùng, đã hết hạn hoặc sai). Hãy lấy link mới.');
    expect(screen.getByText(/gocua hub signin-link/)).toBeTruthy();
  });

  it('without a session shows how to sign in, in both languages', async () => {
    mockHub({}, { GET: () => refused(401, 'no_session', 'Chưa đăng nhập', 'Not signed in') });
    await boot();
    expect(await screen.findByText('Bạn chưa đăng nhập.')).toBeTruthy();
    expect(screen.getByText(/gocua hub signin-link/)).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'English' }));
    expect(await screen.findByText('You are not signed in.')).toBeTruthy();
    expect(screen.getByText(/Open the sign-in link the ward hub printed/)).toBeTruthy();
  });

  it('goes back to the sign-in screen when the session expires mid-use', async () => {
    const hub = mockHub(progressHandlers({ list_devices: () => refused(401, 'session_expired', 'Phiên đã hết hạn', 'Session expired') }));
    await boot();
    expect(session.status).toBe('in');
    goPage('devices');
    expect(await screen.findByText('Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại.')).toBeTruthy();
    expect(session.status).toBe('out');
    expect(hub.commands('list_devices')).toEqual([null]);
  });

  it('reports an expired cookie on start', async () => {
    mockHub({}, { GET: () => refused(401, 'session_expired', 'Hết hạn', 'Expired') });
    await boot();
    expect(await screen.findByText('Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại.')).toBeTruthy();
  });

  it('signs out', async () => {
    const hub = mockHub(progressHandlers());
    await boot();
    await fireEvent.click(await screen.findByRole('button', { name: 'Đăng xuất' }));
    expect(await screen.findByText('Bạn đã đăng xuất.')).toBeTruthy();
    expect(hub.sent.some((s) => s.method === 'DELETE' && s.path === '/api/v1/office/session')).toBe(true);
  });
});

const REPORT: ImportReport = {
  rows: 120,
  households: 30,
  residents: 118,
  new_groups: 1,
  new_streets: 2,
  summary: { created: 0, updated: 0, unchanged: 0 },
  errors: [
    { row: 7, column: 'Ngày, tháng, năm sinh', code: 'bad_date', message: 'Dòng 7, cột "Ngày, tháng, năm sinh": "31/02/1980" không phải ngày hợp lệ' },
    { row: 19, column: null, code: 'no_head', message: 'Dòng 19: không có chủ hộ' },
  ],
  imported: false,
  shape: 'registry',
};

describe('import wizard', () => {
  async function chooseFile(name = 'danh sách.xlsx') {
    const input = document.querySelector('input[type=file]') as HTMLInputElement;
    const file = new File(['xlsx bytes'], name);
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    await fireEvent.change(input);
  }

  it('checks the file, shows row errors with their numbers, then imports the valid rows', async () => {
    mockHub(progressHandlers());
    const uploads = mockXhr((url) =>
      url.includes('accept_valid_rows=true')
        ? { status: 200, body: { ...REPORT, imported: true, summary: { created: 25, updated: 3, unchanged: 2 } } }
        : { status: 200, body: REPORT },
    );
    await boot();
    goPage('import');
    await screen.findByText('Nhập danh sách hộ, nhân khẩu');
    await chooseFile();
    await fireEvent.click(screen.getByRole('button', { name: 'Kiểm tra tệp' }));
    const table = await screen.findByTestId('row-errors');
    const lines = within(table).getAllByRole('row').slice(1).map((r) => within(r).getAllByRole('cell').map((c) => c.textContent));
    expect(lines).toEqual([
      ['7', 'Ngày, tháng, năm sinh', REPORT.errors[0]?.message],
      ['19', '—', 'Dòng 19: không có chủ hộ'],
    ]);
    expect(screen.getByText('2 dòng có lỗi')).toBeTruthy();
    expect(screen.getByText(/Chưa nhập gì/)).toBeTruthy();
    expect(uploads[0]?.url).toBe(`/api/v1/office/import?accept_valid_rows=false&name=${encodeURIComponent('danh sách.xlsx').replace(/%20/g, '+')}`);
    expect(uploads[0]?.headers['content-type']).toBe('application/octet-stream');
    expect(uploads[0]?.headers['accept-language']).toBe('vi');
    await fireEvent.click(screen.getByRole('button', { name: 'Nhập các dòng hợp lệ' }));
    const done = await screen.findByTestId('import-done');
    expect(uploads[1]?.url).toContain('accept_valid_rows=true');
    expect(uploads[1]?.body).toBe(uploads[0]?.body);
    expect(within(done).getByText('25 hộ mới')).toBeTruthy();
    expect(within(done).getByText('3 hộ được cập nhật')).toBeTruthy();
    expect(within(done).getByText('2 dòng lỗi bị bỏ qua')).toBeTruthy();
  });

  it('cancels back to choosing a file, and refuses other kinds of file', async () => {
    mockHub(progressHandlers());
    mockXhr(() => ({ status: 200, body: REPORT }));
    await boot();
    goPage('import');
    await screen.findByText('Nhập danh sách hộ, nhân khẩu');
    await chooseFile('ảnh.png');
    expect(screen.getByRole('alert').textContent).toBe('Hãy chọn tệp .xlsx hoặc .csv.');
    await chooseFile('ds.csv');
    await fireEvent.click(screen.getByRole('button', { name: 'Kiểm tra tệp' }));
    await screen.findByTestId('row-errors');
    await fireEvent.click(screen.getByRole('button', { name: 'Huỷ' }));
    expect(await screen.findByText('Chọn tệp')).toBeTruthy();
  });

  it('shows the hub’s refusal in the request’s language', async () => {
    mockHub(progressHandlers());
    mockXhr(() => ({ status: 413, body: { code: 'too_large', message_vi: 'Tệp quá lớn', message_en: 'File too large' } }));
    setLang('en');
    await boot();
    goPage('import');
    await screen.findByText('Import households and residents');
    await chooseFile();
    await fireEvent.click(screen.getByRole('button', { name: 'Check the file' }));
    expect((await screen.findByRole('alert')).textContent).toBe('File too large');
  });
});

const DEVICE: DeviceRow = { id: 'd-001', name: 'Điện thoại Hà', role: 'volunteer', team: 't-01', team_name: 'Tổ công tác số 1', volunteer: 'p-05', volunteer_name: 'Trần Thu Hà', paired_at: 1_700_000_000, last_sync: null, revoked: false };

describe('devices', () => {
  it('lists the devices and revokes one after confirming', async () => {
    const hub = mockHub(progressHandlers({ list_devices: () => [DEVICE], revoke_device: (({ device }: { device: string }) => ({ ...DEVICE, id: device, revoked: true })) as Handler }));
    await boot();
    goPage('devices');
    const row = (await screen.findByText('Điện thoại Hà')).closest('tr') as HTMLElement;
    expect(within(row).getByText('Tình nguyện viên')).toBeTruthy();
    expect(within(row).getByText('Chưa đồng bộ')).toBeTruthy();
    await fireEvent.click(within(row).getByRole('button', { name: 'Thu hồi: Điện thoại Hà' }));
    expect(hub.commands('revoke_device')).toEqual([]);
    await fireEvent.click(screen.getByRole('button', { name: 'Thu hồi thiết bị' }));
    await waitFor(() => expect(hub.commands('revoke_device')).toEqual([{ device: 'd-001' }]));
    const after = (await screen.findByText('Đã thu hồi')).closest('tr') as HTMLElement;
    expect(within(after).queryByRole('button')).toBeNull();
  });

  it('keeps the device when the confirmation is declined', async () => {
    const hub = mockHub(progressHandlers({ list_devices: () => [DEVICE] }));
    await boot();
    goPage('devices');
    await fireEvent.click(await screen.findByRole('button', { name: 'Thu hồi: Điện thoại Hà' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Không thu hồi' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(hub.commands('revoke_device')).toEqual([]);
  });
});

const TEAMS: TeamRow[] = [
  { id: 't-01', name: 'Tổ công tác số 1', lead: 'p-05', mobile: false, members: [{ id: 'p-05', name: 'Trần Thu Hà', role: 'lead' }, { id: 'p-06', name: 'Nguyễn Văn Long', role: 'volunteer' }] },
];
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="29" height="29"><path d="M0 0h7v7H0z"/></svg>';

describe('pairing QR', () => {
  it('issues a code for the chosen team and volunteer and shows it large, with expiry and text', async () => {
    const hub = mockHub(progressHandlers({ list_teams: () => TEAMS, issue_pairing: () => ({ payload: 'gocua:pair:abc', svg: SVG, expires_at: 1_795_000_000 }) }));
    await boot();
    goPage('pairing');
    await screen.findByRole('option', { name: 'Tổ công tác số 1' });
    await fireEvent.click(screen.getByRole('button', { name: 'Tạo mã QR' }));
    expect(screen.getByRole('alert').textContent).toBe('Hãy chọn tổ công tác.');
    const [team, person] = screen.getAllByRole('combobox') as HTMLSelectElement[];
    await fireEvent.change(team as HTMLSelectElement, { target: { value: 't-01' } });
    await fireEvent.change(person as HTMLSelectElement, { target: { value: 'p-06' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Tạo mã QR' }));
    const img = (await screen.findByRole('img', { name: 'Mã QR ghép nối' })) as HTMLImageElement;
    expect(hub.commands('issue_pairing')).toEqual([{ role: 'volunteer', team: 't-01', volunteer: 'p-06' }]);
    expect(img.src.startsWith('data:image/svg+xml')).toBe(true);
    expect(decodeURIComponent(img.src)).toContain('viewBox="0 0 29 29"');
    expect(Number(img.getAttribute('width'))).toBeGreaterThanOrEqual(300);
    expect((screen.getByRole('textbox') as HTMLTextAreaElement).value).toBe('gocua:pair:abc');
    expect(screen.getByText(/hết hạn lúc/)).toBeTruthy();
  });

  it('pairs a team lead with the team’s lead by default', async () => {
    const hub = mockHub(progressHandlers({ list_teams: () => TEAMS, issue_pairing: () => ({ payload: 'x', svg: SVG, expires_at: 1 }) }));
    await boot();
    goPage('pairing');
    await screen.findByRole('option', { name: 'Tổ công tác số 1' });
    await fireEvent.click(screen.getByRole('button', { name: 'Tổ trưởng' }));
    await fireEvent.change(screen.getAllByRole('combobox')[0] as HTMLSelectElement, { target: { value: 't-01' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Tạo mã QR' }));
    await screen.findByRole('img');
    expect(hub.commands('issue_pairing')).toEqual([{ role: 'lead', team: 't-01', volunteer: 'p-05' }]);
  });

  it('makes any SVG scalable and keeps its markup out of the page', () => {
    expect(scalable('<svg width="10" height="12"><g/></svg>')).toBe('<svg viewBox="0 0 10 12" width="10" height="12"><g/></svg>');
    expect(scalable('<svg viewBox="0 0 5 5"></svg>')).toBe('<svg viewBox="0 0 5 5"></svg>');
    expect(svgDataUrl('<svg width="1" height="1"></svg>')).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg%20xmlns/);
  });
});

describe('campaign settings', () => {
  it('saves the form and shows the hub’s refusal in the user’s language', async () => {
    const hub = mockHub(
      progressHandlers({
        update_campaign: (({ campaign }: { campaign: typeof CAMPAIGN }) =>
          campaign.eligible_age > 18 ? refused(400, 'campaign_age', 'Tuổi trong diện phải từ 14 đến 18', 'the eligible age must be 14 to 18') : { ward: 'Phường Trúc Bạch', district: 'Quận Ba Đình', campaign }) as Handler,
      }),
    );
    setLang('en');
    await boot();
    goPage('campaign');
    const age = await screen.findByLabelText('Eligible from age');
    await fireEvent.input(age, { target: { value: '21' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect((await screen.findByTestId('campaign-error')).textContent).toBe('the eligible age must be 14 to 18');
    expect(hub.sent.filter((s) => s.path.endsWith('/update_campaign')).map((s) => s.headers['accept-language'])).toEqual(['en']);
    expect((hub.commands('update_campaign')[0] as { campaign: typeof CAMPAIGN }).campaign.eligible_age).toBe(21);
    await fireEvent.input(age, { target: { value: '15' } });
    await fireEvent.input(screen.getByLabelText('Urban · From'), { target: { value: '17:30' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(screen.queryByTestId('campaign-error')).toBeNull());
    expect(hub.commands('update_campaign')[1]).toEqual({ campaign: { ...CAMPAIGN, eligible_age: 15, urban_window: { start: '17:30', end: '21:30' } } });
  });
});

describe('paper results', () => {
  it('become a visit credited to the volunteer, with only the boxes ticked', () => {
    const v = paperVisit({
      household: 'h-1',
      volunteer: 'p-06',
      date: '2026-11-23',
      time: '19:00',
      notHome: false,
      residents: { 'r-1': { cccd: true, level2: false, activated: true }, 'r-2': { cccd: false, level2: false, activated: false } },
      note: ' giấy ',
    });
    expect(v).toEqual({
      household: 'h-1',
      outcome: 'met',
      residents: [{ resident: 'r-1', reached: { cccd: 'has', level2_collected: false, activation: 'level1', guided: false } }],
      household_blockers: [],
      note: 'giấy',
      at: '2026-11-23 19:00',
      volunteer: 'p-06',
    });
    const away = paperVisit({ household: 'h-2', volunteer: 'p-06', date: '2026-11-23', time: '19:00', notHome: true, residents: { 'r-1': { cccd: true, level2: true, activated: true } }, note: '' });
    expect(away).toMatchObject({ outcome: 'nobody_home', residents: [], household_blockers: ['nobody_home'] });
  });
});
