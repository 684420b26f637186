// Prints the gzipped size of the built JavaScript (dist/assets/*.js) and fails above the budget
// of 150 KB; CSS and fonts are listed apart, outside the budget.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 150 * 1024;
const dir = new URL('../dist/assets/', import.meta.url).pathname;
let files;
try {
  files = readdirSync(dir).sort();
} catch {
  console.error('dist/assets is missing: run `npm run build` first.');
  process.exit(2);
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
let js = 0;
let other = 0;
for (const name of files) {
  const path = join(dir, name);
  const raw = statSync(path).size;
  const gz = /\.(js|css|svg|html)$/.test(name) ? gzipSync(readFileSync(path), { level: 9 }).length : raw;
  if (name.endsWith('.js')) js += gz;
  else other += gz;
  console.log(`${name.padEnd(56)} ${kb(raw).padStart(10)} ${kb(gz).padStart(10)} gz`);
}
console.log(`JavaScript, gzipped: ${kb(js)} (budget ${kb(BUDGET)}); CSS and fonts: ${kb(other)}`);
if (js > BUDGET) {
  console.error('The JavaScript bundle is over budget.');
  process.exit(1);
}
