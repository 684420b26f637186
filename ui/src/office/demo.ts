// The office's API in the demo (`office.html?demo`): always signed in to the demo ward, an
// import that "uploads" with progress and finds a few broken rows in any file (the rows a
// real ward list typically has wrong), and no Excel report (there is no hub to write it).
import type { ImportReport } from '../lib/bindings/ImportReport';
import type { OfficeSession } from './api';
import type { LangSource } from '../lib/transport';
import { fail, ok } from '../lib/transport';
import { now } from '../lib/time';
import type { OfficeApi } from './api';

export function demoOfficeApi(lang: LangSource): OfficeApi {
  let signedIn = true;
  const info = (): OfficeSession => ({ ward: 'Phường Trúc Bạch', expires_at: now() + 12 * 3600 });
  const errors = () => {
    const en = lang() === 'en';
    return [
      { row: 14, column: 'Ngày, tháng, năm sinh', code: 'bad_date', message: en ? 'Row 14, column "Ngày, tháng, năm sinh": "31/02/1980" is not a date' : 'Dòng 14, cột "Ngày, tháng, năm sinh": "31/02/1980" không phải ngày hợp lệ' },
      { row: 37, column: 'Quan hệ với chủ hộ', code: 'no_head', message: en ? 'Row 37, column "Quan hệ với chủ hộ": a "Con" row with no "Chủ hộ" row above it' : 'Dòng 37, cột "Quan hệ với chủ hộ": dòng "Con" không có dòng "Chủ hộ" nào phía trên' },
      { row: 52, column: 'Nơi thường trú', code: 'bad_address', message: en ? 'Row 52, column "Nơi thường trú": no house number in "ngõ 190 Hoàng Quốc Việt"' : 'Dòng 52, cột "Nơi thường trú": không tách được số nhà từ "ngõ 190 Hoàng Quốc Việt"' },
      { row: 88, column: 'Số định danh cá nhân/CCCD', code: 'bad_id', message: en ? 'Row 88, column "Số định danh cá nhân/CCCD": "0010850" has 7 digits, not 12' : 'Dòng 88, cột "Số định danh cá nhân/CCCD": "0010850" có 7 chữ số, không phải 12' },
    ];
  };
  return {
    demo: true,
    session: async () => (signedIn ? ok(info()) : fail('no_session', '')),
    signIn: async () => {
      signedIn = true;
      return ok(info());
    },
    signOut: async () => {
      signedIn = false;
      return ok(null);
    },
    upload: (file, _name, accept, onProgress) =>
      new Promise((resolve) => {
        const total = Math.max(file.size, 1);
        for (let i = 1; i <= 5; i++) setTimeout(() => onProgress({ loaded: (total * i) / 5, total }), 120 * i);
        const report: ImportReport = {
          rows: 412,
          households: 118,
          residents: 408,
          new_groups: 1,
          new_streets: 3,
          summary: accept ? { created: 96, updated: 20, unchanged: 2 } : { created: 0, updated: 0, unchanged: 0 },
          errors: errors(),
          imported: accept,
          shape: 'registry',
        };
        setTimeout(() => resolve(ok(report)), 900);
      }),
    reportUrl: () => null,
  };
}
