// Benchmark of the office dashboard in real Chromium against a real hub on loopback over a
// generated ward (10,000 households by default): from opening the sign-in link to the ward's
// figures on screen (first meaningful paint), a reload with the session, and each breakdown tab
// from click to its table, plus the XLSX report download. Prints figures; asserts nothing.
//   cargo build --release -p gocua-cli && (cd ui && npm run build) &&
//   GOCUA_BIN=target/release/gocua node e2e/office-bench.mjs [--quick]
import { chromium } from 'playwright-core';
import { CHROMIUM, Hub, chromiumArgs } from './lib/procs.mjs';

const quick = process.argv.includes('--quick');
const ms = (x) => `${x.toFixed(0)} ms`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const households = quick ? 300 : 10000;
  const g0 = performance.now();
  const hub = await new Hub(households, 3).start();
  console.log(`ward of ${households} households generated and served in ${ms(performance.now() - g0)}`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs() });
  try {
    const firsts = [];
    const reloads = [];
    const tabs = new Map();
    const reports = [];
    for (let run = 0; run < (quick ? 1 : 5); run++) {
      const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 }, acceptDownloads: true });
      const page = await context.newPage();
      const { url } = hub.query(['hub', 'signin-link']);
      const t0 = performance.now();
      await page.goto(url);
      await page.getByTestId('ratio').first().waitFor({ timeout: 60000 });
      firsts.push(performance.now() - t0);
      const r0 = performance.now();
      await page.reload();
      await page.getByTestId('ratio').first().waitFor({ timeout: 60000 });
      reloads.push(performance.now() - r0);
      for (const tab of await page.getByRole('tab').all()) {
        const name = await tab.innerText();
        const c0 = performance.now();
        await tab.click();
        await page.waitForFunction((el) => el.getAttribute('aria-selected') === 'true', await tab.elementHandle());
        await page.locator('[role=tabpanel] table tbody tr').first().waitFor();
        // Let the table settle: the click's work is done once a frame is painted after it.
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
        tabs.set(name, [...(tabs.get(name) ?? []), performance.now() - c0]);
      }
      const d0 = performance.now();
      const res = await page.evaluate(async () => (await fetch('/api/v1/office/report.xlsx?lang=vi')).arrayBuffer().then((b) => b.byteLength));
      reports.push([performance.now() - d0, res]);
      await context.close();
    }
    console.log(`office dashboard, first load from the sign-in link to the ward's figures: median ${ms(median(firsts))} (runs ${firsts.map(ms).join(', ')})`);
    console.log(`office dashboard, reload with the session: median ${ms(median(reloads))}`);
    for (const [name, xs] of tabs) console.log(`breakdown "${name}": click to table median ${ms(median(xs))}`);
    const [t, bytes] = reports[Math.floor(reports.length / 2)];
    console.log(`report.xlsx from the page: ${ms(t)} (${(bytes / 1024).toFixed(0)} KB)`);
  } finally {
    await browser.close();
    await hub.stop();
    hub.cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
