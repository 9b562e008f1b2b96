// Checks reports in headless Debian chromium: no console errors or page errors, no
// request leaving the file (the report must be self-contained), one drawn chart per
// PNG of the report's language in its directory (report.html: NAME.png;
// report.zh.html: NAME.zh.png), the summary paragraph and the impact chart first,
// the sections on targets, winners (with intervals) and villages (with their exit
// table), and a screenshot that is not blank. Each argument is a report file, or a directory
// (its report.html). Called by scripts/test-report-browser.sh; prints "N passed, M
// failed".
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require(path.join(process.env.PLAYWRIGHT_DIR, 'node_modules', 'playwright-core'));

async function checkReport(browser, arg) {
  const problems = [];
  const file = path.resolve(fs.statSync(arg).isDirectory() ? path.join(arg, 'report.html') : arg);
  const dir = path.dirname(file);
  const zh = file.endsWith('.zh.html');
  const charts = fs.readdirSync(dir)
    .filter((f) => f.endsWith('.png') && f.endsWith('.zh.png') === zh)
    .map((f) => f.slice(0, zh ? -7 : -4)).sort();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('file:') && !u.startsWith('data:')) problems.push(`outside request: ${u}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url().slice(0, 80)}`));
  await page.goto('file://' + file, { waitUntil: 'load' });

  const found = await page.evaluate(async () => {
    const out = [];
    for (const fig of document.querySelectorAll('figure.chart')) {
      const img = fig.querySelector('img');
      let inked = 0;
      if (img) {
        await img.decode().catch(() => {});
        if (img.naturalWidth > 0) {
          const c = document.createElement('canvas');
          c.width = img.naturalWidth; c.height = img.naturalHeight;
          const g = c.getContext('2d');
          g.drawImage(img, 0, 0);
          const d = g.getImageData(0, 0, c.width, c.height).data;
          for (let i = 0; i < d.length; i += 4) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) inked++;
          inked /= c.width * c.height;
        }
      }
      out.push({ name: fig.dataset.chart, width: img ? img.naturalWidth : 0, inked });
    }
    // The answer comes first: the summary paragraph, then the impact chart, then the levels.
    const summary = document.querySelector('#summary');
    const impact = document.querySelector('figure[data-chart="impact"]');
    const levels = document.querySelector('table.results');
    const before = (a, b) => !!(a && b && (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING));
    return {
      out, title: document.title, lang: document.documentElement.lang,
      rows: document.querySelectorAll('table.results tbody tr').length,
      summary: summary ? summary.textContent : '',
      // Sections a run with groups.csv and official incidence always has: progress
      // against the targets, winners and losers with intervals, the villages' exits.
      sections: ['targets', 'winners', 'villages'].filter((id) => !document.getElementById(id)),
      villageRows: document.querySelectorAll('#villages table.villages tbody tr').length,
      intervals: document.querySelectorAll('#winners .interval').length,
      topDown: before(summary, impact) && before(impact, levels),
    };
  });
  const names = found.out.map((f) => f.name).sort();
  if (JSON.stringify(names) !== JSON.stringify(charts)) problems.push(`charts in page ${names} != PNG files ${charts}`);
  for (const f of found.out) {
    if (f.width === 0) problems.push(`chart ${f.name} did not load`);
    else if (f.inked < 0.01) problems.push(`chart ${f.name} looks blank (${(f.inked * 100).toFixed(2)}% inked)`);
  }
  if (found.rows < 1) problems.push('no rows in the results table');
  if (found.summary.length < 40) problems.push(`no summary paragraph: ${JSON.stringify(found.summary)}`);
  if (!found.out.some((f) => f.name === 'impact')) problems.push('no impact chart');
  if (!found.topDown) problems.push('the page does not read summary, impact chart, levels in that order');
  if (found.sections.length) problems.push(`sections missing: ${found.sections}`);
  if (found.villageRows < 1) problems.push('no rows in the villages\' exit table');
  if (found.intervals < 1) problems.push('no intervals in the winners table');
  if ((found.lang === 'zh-CN') !== zh) problems.push(`lang ${found.lang} in ${path.basename(file)}`);

  const shot = await page.screenshot({ fullPage: true });
  const shotFile = path.join(os.tmpdir(), `sandan-report-${path.basename(dir)}${zh ? '-zh' : ''}.png`);
  fs.writeFileSync(shotFile, shot);
  // Measure the screenshot in the browser itself: share of non-white pixels, colours.
  const stats = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let ink = 0; const colours = new Set();
    for (let i = 0; i < d.length; i += 16) {
      if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) ink++;
      colours.add((d[i] >> 4) * 256 + (d[i + 1] >> 4) * 16 + (d[i + 2] >> 4));
    }
    return { ink: ink / (d.length / 16), colours: colours.size, height: c.height };
  }, shot.toString('base64'));
  if (stats.ink < 0.02 || stats.colours < 8) problems.push(`screenshot looks blank: ${JSON.stringify(stats)}`);
  await page.close();
  console.log(`${problems.length ? 'FAIL' : 'ok  '} ${file}: ${found.out.length} charts, lang ${found.lang}, ` +
    `${(stats.ink * 100).toFixed(1)}% inked, ${stats.height}px tall; screenshot ${shotFile}`);
  for (const p of problems) console.log('     ' + p);
  return problems.length === 0;
}

(async () => {
  // playwright's launch() starts chromium with a fresh, empty profile directory of its
  // own (it refuses an explicit --user-data-dir) and removes it on close.
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let passed = 0, failed = 0;
  try {
    for (const dir of process.argv.slice(2)) {
      try { (await checkReport(browser, dir)) ? passed++ : failed++; } catch (e) { console.log(`FAIL ${dir}: ${e}`); failed++; }
    }
  } finally {
    await browser.close();
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
