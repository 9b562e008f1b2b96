// Drives the workshop page in headless Debian chromium as a trainer would: load it,
// change two levers, wait for the charts to change, read the displayed impact,
// export the scenario and run it with `sandan run` to compare the numbers, set an
// out-of-range key in the "any key" panel, add a second setting, switch to Chinese;
// no console error (but the browser's own note of the refusal provoked on purpose)
// and no request outside the server. Called by scripts/test-workshop-browser.sh with the server's address;
// prints "ok"/"FAIL" lines and exits 1 on a failure.
// Usage: node workshop-browser-check.cjs URL SANDAN_BIN WORK_DIR [SCREENSHOT.png]
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require(path.join(process.env.PLAYWRIGHT_DIR, 'node_modules', 'playwright-core'));

const [url, bin, work, shotFile] = process.argv.slice(2);
const origin = new URL(url).origin;
const TIMEOUT = 120000;

async function main() {
  const problems = [];
  let refusing = false;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => {
    if (refusing && /status of 422/.test(m.text())) return;
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin + '/') && !u.startsWith('blob:') && !u.startsWith('data:')) problems.push(`outside request: ${u}`);
  });
  page.on('requestfailed', (r) => {
    // A superseded run is aborted on purpose when a lever changes again.
    if (!(r.failure() && /ABORTED/.test(r.failure().errorText))) problems.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`);
  });
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(url, { waitUntil: 'load' });

  const settled = async (label) => {
    await page.waitForFunction((l) => {
      const c = document.getElementById('card-' + l);
      return c && !c.classList.contains('pending') && document.getElementById('impact-' + l);
    }, label);
  };
  await settled('a');
  const before = await page.evaluate(() => ({
    d: document.querySelector('#chart-incidence [data-id="mean-a"]').getAttribute('d'),
    impact: document.getElementById('impact-a').dataset.mean,
  }));

  // Two levers: the budget (number box) and the members without a post (slider).
  const budget = page.locator('#lever-budget');
  const b0 = Number(await budget.inputValue());
  await budget.fill(String(Math.round(b0 * 2)));
  await budget.dispatchEvent('change');
  await page.locator('input[type=range][aria-label="member_without_post: members per village"]').fill('16');
  await page.waitForFunction((d) => {
    const p = document.querySelector('#chart-incidence [data-id="mean-a"]');
    const c = document.getElementById('card-a');
    return p && p.getAttribute('d') !== d && c && !c.classList.contains('pending');
  }, before.d);
  const after = await page.evaluate(() => {
    const e = document.getElementById('impact-a');
    return { mean: Number(e.dataset.mean), year: e.dataset.year, text: e.textContent, changed: document.querySelectorAll('.lever.changed').length };
  });
  if (after.changed !== 2) problems.push(`expected 2 levers marked changed, got ${after.changed}`);
  if (String(after.mean) === before.impact) problems.push('the impact did not change with the levers');
  const shown = Number(after.text.replace('+', '').replace(/,/g, ''));
  if (Math.abs(shown - after.mean) > 0.005 + 1e-9) problems.push(`displayed impact ${after.text} is not the mean ${after.mean} to 2 decimals`);

  // Export and run the file with sandan run: the same impact.
  await page.click('#export');
  await page.waitForFunction(() => document.getElementById('export-scenario').value.length > 0);
  const exported = await page.locator('#export-scenario').inputValue();
  const block = await page.locator('#export-strategy').inputValue();
  await page.click('#export-dialog form button');
  if (!block.includes('[[strategy]]') || !block.includes('program.member_kind.0.per_village')) problems.push(`strategy block lacks the levers: ${block}`);
  const file = path.join(work, 'exported.toml');
  fs.writeFileSync(file, exported);
  const out = path.join(work, 'run');
  execFileSync(bin, ['run', file, '--out', out, '--quiet'], { stdio: 'inherit' });
  const name = (exported.match(/\n\[\[strategy\]\]\nname = "([^"]+)"[\s\S]*\n\[\[strategy\]\]\nname = "([^"]+)"/) || [])[2];
  const row = fs.readFileSync(path.join(out, 'impacts.csv'), 'utf8').split('\n')
    .find((l) => l.startsWith(`${name},`) && l.includes(`,${after.year},incidence_points,`));
  if (!row) problems.push(`no incidence_points row for ${name} in ${after.year} in impacts.csv`);
  else {
    const cli = Number(row.split(',')[4]);
    if (cli !== after.mean) problems.push(`page impact ${after.mean} != sandan run's ${cli}`);
    else console.log(`ok   page and sandan run agree: ${name} ${after.year} incidence ${cli} points`);
  }

  // Any key: a value out of range gets the scenario file's message; removing it reruns.
  refusing = true;
  await page.fill('#anykey-path', 'dibao.take_up_other');
  await page.fill('#anykey-value', '1.5');
  await page.click('#anykey-add');
  await page.waitForFunction(() => document.getElementById('status').dataset.state === 'error');
  const message = await page.locator('#status').textContent();
  if (!/dibao\.take_up_other must be between 0 and 1, got 1\.5/.test(message)) problems.push(`any-key message: ${message}`);
  refusing = false;
  await page.click('#anykey-list li button');
  await settled('a');

  // A second setting beside the first.
  await page.click('#add-setting');
  await page.selectOption('#lever-matching', 'none');
  await page.waitForFunction(() => {
    const c = document.getElementById('card-b');
    return c && !c.classList.contains('pending') && document.getElementById('impact-b') && document.querySelector('#chart-incidence [data-id="mean-b"]');
  });
  await page.click('#tabs button[data-label="a"]');
  await settled('a');
  if (shotFile) await page.screenshot({ path: shotFile, fullPage: true });

  // Chinese.
  await page.click('#lang-zh');
  const zh = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    title: document.querySelector('h1 [data-t="title"]').textContent,
    lever: document.querySelector('label[for="lever-budget"]').textContent,
  }));
  if (zh.lang !== 'zh-CN' || !/[\u4e00-\u9fff]/.test(zh.title + zh.lever)) problems.push(`Chinese switch: ${JSON.stringify(zh)}`);
  if (shotFile) await page.screenshot({ path: shotFile.replace(/\.png$/, '-zh.png'), fullPage: true });

  await browser.close();
  for (const p of problems) console.log('FAIL ' + p);
  console.log(`${problems.length ? 'FAIL' : 'ok  '} workshop page: levers, charts, export = sandan run, A/B, Chinese`);
  process.exit(problems.length ? 1 : 0);
}

main().catch((e) => { console.log('FAIL ' + e.stack); process.exit(1); });
