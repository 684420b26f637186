// Prints the gzipped size of the built JavaScript of each page and fails above its budget: the
// phone app (index.html) 150 KB, the ward office's dashboard (office.html) 120 KB. A page's
// JavaScript is every chunk reachable from its entry script, lazy chunks included (the demo,
// the QR decoder, the chart), so what one page adds never hides in the other's. CSS and fonts
// are listed apart, outside the budgets.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const PAGES = [
  ['phone', 'index.html', 150 * 1024],
  ['office', 'office.html', 120 * 1024],
];
const dist = new URL('../dist/', import.meta.url).pathname;
const dir = join(dist, 'assets');
let files;
try {
  files = readdirSync(dir).sort();
} catch {
  console.error('dist/assets is missing: run `npm run build` first.');
  process.exit(2);
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const gz = new Map();
let other = 0;
for (const name of files) {
  const path = join(dir, name);
  const raw = statSync(path).size;
  const size = /\.(js|css|svg|html)$/.test(name) ? gzipSync(readFileSync(path), { level: 9 }).length : raw;
  gz.set(name, size);
  if (!name.endsWith('.js')) other += size;
  console.log(`${name.padEnd(56)} ${kb(raw).padStart(10)} ${kb(size).padStart(10)} gz`);
}

/** Chunks a file names (`./x.js`, `assets/x.js`), static or dynamic imports alike. */
function refs(text) {
  const out = new Set();
  for (const m of text.matchAll(/["'`](?:\.\/|\.\/assets\/|assets\/)?([\w.-]+\.js)["'`]/g)) {
    if (gz.has(m[1])) out.add(m[1]);
  }
  return out;
}

let failed = false;
for (const [label, html, budget] of PAGES) {
  const page = join(dist, html);
  if (!existsSync(page)) {
    console.error(`dist/${html} is missing: run \`npm run build\` first.`);
    process.exit(2);
  }
  const seen = new Set();
  const todo = [...refs(readFileSync(page, 'utf8'))];
  while (todo.length) {
    const name = todo.pop();
    if (seen.has(name)) continue;
    seen.add(name);
    todo.push(...refs(readFileSync(join(dir, name), 'utf8')));
  }
  const js = [...seen].reduce((n, f) => n + (gz.get(f) ?? 0), 0);
  console.log(`${label} (${html}): JavaScript, gzipped: ${kb(js)} (budget ${kb(budget)}) in ${seen.size} chunks`);
  if (js > budget) {
    console.error(`The ${label} page's JavaScript is over budget.`);
    failed = true;
  }
}
console.log(`CSS and fonts: ${kb(other)}`);
if (failed) process.exit(1);
