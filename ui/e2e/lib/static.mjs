// A small static server on loopback for the built UI, laid out the way the hub serves the
// dashboard (`/office/` → dist/office.html, `/office/<path>` → dist/<path>), answering "no
// session" at the office session endpoint (the demo never asks it; the sign-in page does).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { UI } from './procs.mjs';

export const DIST = join(UI, 'dist');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.woff2': 'font/woff2', '.svg': 'image/svg+xml' };

/** Resolves to `{ server, base }`, base being the dashboard's address (`http://127.0.0.1:P/office/`). */
export async function serveOffice() {
  if (!existsSync(join(DIST, 'office.html'))) throw new Error('dist/office.html is missing: run `npm run build` first');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/api/v1/office/session') {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'no_session', message_vi: 'Chưa đăng nhập', message_en: 'Not signed in' }));
      return;
    }
    const rel = url.pathname === '/office/' ? 'office.html' : url.pathname.replace(/^\/office\//, '');
    const path = normalize(join(DIST, rel));
    if (!path.startsWith(DIST) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    createReadStream(path).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${server.address().port}/office/` };
}
