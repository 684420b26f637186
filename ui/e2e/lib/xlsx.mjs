// Reads an .xlsx file back for the tests: the zip's central directory, each part inflated with
// node:zlib, every sheet's cells by reference (shared strings, inline strings, numbers). Enough
// to compare the report the hub wrote with the dashboard's figures; nothing else.
import { inflateRawSync } from 'node:zlib';

/** The zip's entries by name → bytes. */
function unzip(buf) {
  // End of central directory: the last 0x06054b50 signature.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('broken central directory');
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    out.set(name, method === 0 ? data : inflateRawSync(data));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

const unescape = (s) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');

/** Text of an `<si>` or `<is>`: its `<t>` runs joined. */
const runs = (xml) => [...xml.matchAll(/<t(?:\s[^>]*)?>([\s\S]*?)<\/t>/g)].map((m) => unescape(m[1])).join('');

/** `{ sheets: [{ name, cells: Map<'B3', string|number>, rows: (string|number|null)[][] }] }`. */
export function readXlsx(buf) {
  const parts = unzip(buf);
  const text = (name) => parts.get(name)?.toString('utf8') ?? '';
  const shared = [...text('xl/sharedStrings.xml').matchAll(/<si>([\s\S]*?)<\/si>/g)].map((m) => runs(m[1]));
  const rels = new Map(
    [...text('xl/_rels/workbook.xml.rels').matchAll(/<Relationship\b[^>]*>/g)].map((m) => [
      /Id="([^"]+)"/.exec(m[0])[1],
      /Target="([^"]+)"/.exec(m[0])[1],
    ]),
  );
  const sheets = [...text('xl/workbook.xml').matchAll(/<sheet\b[^>]*>/g)].map((m) => {
    const name = unescape(/name="([^"]*)"/.exec(m[0])[1]);
    const rid = /r:id="([^"]+)"/.exec(m[0])[1];
    const target = rels.get(rid).replace(/^\/?(xl\/)?/, 'xl/');
    const cells = new Map();
    for (const c of text(target).matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const ref = /r="([A-Z]+\d+)"/.exec(c[1])[1];
      const type = /t="([^"]+)"/.exec(c[1])?.[1];
      const body = c[2] ?? '';
      const v = /<v>([\s\S]*?)<\/v>/.exec(body)?.[1];
      let value = null;
      if (type === 's') value = shared[Number(v)];
      else if (type === 'inlineStr') value = runs(body);
      else if (type === 'str' || type === 'b') value = v === undefined ? null : unescape(v);
      else if (v !== undefined) value = Number(v);
      cells.set(ref, value);
    }
    const rows = [];
    for (const [ref, value] of cells) {
      const [, col, row] = /([A-Z]+)(\d+)/.exec(ref);
      const c = [...col].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;
      const r = Number(row) - 1;
      rows[r] ??= [];
      rows[r][c] = value;
    }
    return { name, cells, rows: Array.from(rows, (r) => Array.from(r ?? [], (v) => v ?? null)) };
  });
  return { sheets };
}
