// sandan workshop page: settings A-D, levers, charts redrawn in place. No network
// beyond this server; no library.
'use strict';

const COLORS = { a: '#1f77b4', b: '#d62728', c: '#2ca02c', d: '#9467bd' };
const LABELS = ['a', 'b', 'c', 'd'];
const DEBOUNCE_MS = 250;
const SVGNS = 'http://www.w3.org/2000/svg';

const TEXT = {
  en: {
    title: 'sandan workshop', subtitle: 'change a strategy, see the consequence',
    scenario: 'Scenario', where: 'Where', baseline: 'Compared with', replicates: 'Replicates', seed: 'Seed',
    strategy: 'Starts from strategy', export: 'Export', reset: 'Reset', anykey: 'Any key',
    anykey_help: 'A dotted scenario key and a value, checked as a scenario file is (see scenarios/template.toml).',
    set: 'Set', county: 'Whole county', households: 'households', villages: 'villages',
    chart_incidence: 'Poverty incidence, % of persons: mean and 5–95% band over replicates',
    chart_impact: 'Change in incidence against the baseline in the last year, points (paired over replicates; bar: mean, line: 5–95%)',
    chart_spending: 'Where the money went, total over the years, mean over replicates (million yuan)',
    chart_households: "Replicate 0's households under the active setting: each household is a strip of cells, one a year, left to right",
    export_title: 'Export the active setting', export_help: 'Save the whole scenario and run it for the same numbers: sandan run FILE',
    export_scenario: 'Whole scenario file', export_strategy: 'The [[strategy]] block alone', download: 'Download', close: 'Close',
    running: 'running…', queued: 'the server is busy; retrying…', done: 'updated in', seconds: 's',
    impact: 'change in incidence', points: 'points', better_in: 'better in', of: 'of', reps: 'replicates',
    cost: 'yuan per extra person out of poverty', budget_used: 'program money used', exited: 'persons exited (total)',
    reentries: 're-entries (total)', incidence_end: 'incidence in', na: 'n/a', base_label: 'baseline',
    group_program: 'Program', group_members: 'Party members', group_safety_net: 'Safety net', group_exit: 'Exit rules', group_schemes: 'Scheme terms',
    status_n: 'never registered', status_R: 'registered as poor', status_E: 'exited', status_poor: 'dark shade: income below the line that year',
    household: 'household', cause: 'cause', no_project: 'no project', member: 'member', hover: 'point at a household for what it ordered and who supported it',
    with_project: 'ran a project', with_member: 'supported by a member',
    shown: 'showing', add: '+ setting', remove: 'remove', changed: 'changed from the file',
    budget_note: 'One village: each strategy\'s county budget is cut to the village\'s share of the households',
    spending_dibao: 'dibao', spending_medical: 'medical assistance', spending_housing: 'housing', spending_cash: 'cash',
    program_planting: 'planting', program_livestock: 'livestock', program_enterprise: 'enterprise', program_labour: 'labour',
    program_dividend: 'dividend stakes', program_medical: 'medical help', program_social: 'welfare jobs', program_cattle: 'cattle scheme',
    program_equity: 'equity stakes', program_bees: 'bees', program_training: 'training', program_fund: 'mutual-aid funds',
    program_collective_enterprises: 'village enterprises', lower_better: 'lower is better',
  },
  zh: {
    title: 'sandan 培训工作坊', subtitle: '改变策略，立即看到后果',
    scenario: '情景', where: '范围', baseline: '对照策略', replicates: '重复次数', seed: '随机种子',
    strategy: '起始策略', export: '导出', reset: '重置', anykey: '任意参数',
    anykey_help: '以点号分隔的情景参数和取值，按情景文件的规则检查（见 scenarios/template.toml）。',
    set: '设置', county: '全县', households: '户', villages: '个村',
    chart_incidence: '贫困发生率（人口 %）：各次重复的均值与 5–95% 区间',
    chart_impact: '最后一年相对对照策略的发生率变化（百分点，按重复配对；柱：均值，线：5–95%）',
    chart_spending: '资金去向：各年合计，各次重复的均值（百万元）',
    chart_households: '当前设置下第 0 次重复的农户：每户一条小格，每格一年，从左到右',
    export_title: '导出当前设置', export_help: '保存完整情景文件，用 sandan run 文件 运行可得到相同结果',
    export_scenario: '完整情景文件', export_strategy: '仅 [[strategy]] 部分', download: '下载', close: '关闭',
    running: '计算中…', queued: '服务器繁忙，正在重试…', done: '已更新，用时', seconds: '秒',
    impact: '贫困发生率变化', points: '个百分点', better_in: '更好：', of: '/', reps: '次重复',
    cost: '每多脱贫一人的成本（元）', budget_used: '已用项目资金', exited: '累计脱贫人数',
    reentries: '累计返贫户数', incidence_end: '发生率', na: '无', base_label: '对照',
    group_program: '项目', group_members: '党员', group_safety_net: '社会保障', group_exit: '退出规则', group_schemes: '产业模式条款',
    status_n: '从未建档', status_R: '建档立卡贫困户', status_E: '已脱贫', status_poor: '深色：当年收入低于贫困线',
    household: '农户', cause: '致贫原因', no_project: '无项目', member: '党员', hover: '指向一户，查看其点单项目和接单党员',
    with_project: '有项目', with_member: '有党员帮扶',
    shown: '显示', add: '+ 设置', remove: '删除', changed: '已改动',
    budget_note: '单个村：各策略的全县预算按该村户数占比缩减',
    spending_dibao: '低保', spending_medical: '医疗救助', spending_housing: '危房改造', spending_cash: '现金',
    program_planting: '种植', program_livestock: '养殖', program_enterprise: '经营', program_labour: '就业',
    program_dividend: '分红股份', program_medical: '医疗帮扶', program_social: '公益岗位', program_cattle: '肉牛分红',
    program_equity: '入股分红', program_bees: '蜜蜂', program_training: '培训', program_fund: '互助资金',
    program_collective_enterprises: '村集体企业', lower_better: '越低越好',
  },
};

const state = {
  lang: 'en', info: null, scenario: null, village: null, baseline: null, replicates: 1, seed: 0,
  settings: {}, order: ['a'], active: 'a', leverDefs: {},
};

const $ = (id) => document.getElementById(id);
const t = (k) => (TEXT[state.lang][k] ?? TEXT.en[k] ?? k);

function fmt(x, digits) {
  if (x === null || x === undefined || !Number.isFinite(x)) return t('na');
  return x.toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function scenarioInfo() { return state.info.scenarios.find((s) => s.name === state.scenario); }

// ---------- settings and requests ----------

function newSetting(label, from) {
  return {
    label, strategy: from ? from.strategy : defaultStrategy(), levers: from ? { ...from.levers } : {},
    extra: from ? { ...from.extra } : {}, result: null, error: null, pending: false, timer: null, controller: null,
    started: 0, seconds: null, errorKey: null,
  };
}

function defaultStrategy() {
  const s = scenarioInfo();
  const names = s.strategies.map((x) => x.name);
  if (names.includes('three_order')) return 'three_order';
  return names.find((n) => n !== state.baseline) ?? names[0];
}

function body(st) {
  return JSON.stringify({
    scenario: state.scenario, village: state.village, baseline: state.baseline, strategy: st.strategy,
    levers: { ...st.levers, ...st.extra }, replicates: state.replicates, seed: state.seed, label: st.label,
  });
}

function schedule(label, delay = DEBOUNCE_MS) {
  const st = state.settings[label];
  if (!st) return;
  clearTimeout(st.timer);
  st.pending = true;
  renderStatus();
  renderCards();
  st.timer = setTimeout(() => run(label), delay);
}

function scheduleAll() { for (const l of state.order) schedule(l); }

async function run(label) {
  const st = state.settings[label];
  if (!st) return;
  if (st.controller) st.controller.abort();
  const controller = new AbortController();
  st.controller = controller;
  st.started = performance.now();
  st.busy = false;
  renderStatus();
  let resp, json;
  try {
    resp = await fetch('/api/run', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body(st), signal: controller.signal });
    json = await resp.json();
  } catch (e) {
    if (controller.signal.aborted) return;
    st.error = String(e); st.pending = false; renderAll(); return;
  }
  if (st.controller !== controller) return;
  if (resp.status === 503) {
    st.busy = true; renderStatus();
    const wait = 1000 * (Number(resp.headers.get('Retry-After')) || 1);
    st.timer = setTimeout(() => run(label), wait);
    return;
  }
  st.controller = null;
  st.pending = false;
  if (!resp.ok) {
    st.error = json.error || `HTTP ${resp.status}`;
  } else {
    st.error = null;
    st.result = json;
    st.seconds = (performance.now() - st.started) / 1000;
  }
  renderAll();
}

// ---------- header choices ----------

function fillSelect(sel, options, value) {
  sel.replaceChildren(...options.map(([v, text]) => {
    const o = document.createElement('option'); o.value = v; o.textContent = text; return o;
  }));
  sel.value = value;
}

function fillHeader() {
  fillSelect($('scenario'), state.info.scenarios.map((s) => [s.name, s.name]), state.scenario);
  const s = scenarioInfo();
  const v = [['', `${t('county')} (${fmt(s.households, 0)} ${t('households')})`]];
  s.villages.forEach((x, i) => v.push([String(i), `${x.name} (${fmt(x.households, 0)} ${t('households')}${x.count > 1 ? `; 1 ${t('of')} ${x.count}` : ''})`]));
  fillSelect($('village'), v, state.village === null ? '' : String(state.village));
  fillSelect($('baseline'), s.strategies.map((x) => [x.name, x.name]), state.baseline);
  $('replicates').value = state.replicates;
  $('seed').value = state.seed;
  const note = [s.description];
  if (state.village !== null) note.push(t('budget_note') + '.');
  $('scenario-note').textContent = note.join(' ');
}

function chooseScenario(name) {
  state.scenario = name;
  const s = scenarioInfo();
  state.baseline = s.baseline;
  const years = s.end_year - s.start_year + 1;
  // A county of more than a few villages starts at its first village, so that the
  // first answer comes in well under a second.
  state.village = s.households > 3000 && s.villages.length ? 0 : null;
  const hh = state.village === null ? s.households : s.villages[0].households;
  state.replicates = Math.max(1, Math.min(s.replicates, 20, Math.floor(state.info.max_work / (hh * years))));
  state.seed = s.seed;
  state.settings = {}; state.order = ['a']; state.active = 'a';
  state.settings.a = newSetting('a');
  fillHeader();
  loadLevers().then(scheduleAll);
}

// ---------- levers ----------

async function loadLevers() {
  const st = state.settings[state.active];
  const key = `${state.scenario}|${st.strategy}|${state.village}`;
  if (!state.leverDefs[key]) {
    const q = new URLSearchParams({ scenario: state.scenario, strategy: st.strategy, village: state.village === null ? '' : state.village });
    const resp = await fetch('/api/levers?' + q);
    const json = await resp.json();
    if (!resp.ok) { st.error = json.error; renderStatus(); return; }
    state.leverDefs[key] = json.levers;
  }
  renderLevers(state.leverDefs[key]);
}

function currentDefs() {
  const st = state.settings[state.active];
  return state.leverDefs[`${state.scenario}|${st.strategy}|${state.village}`] || [];
}

function setLever(def, value) {
  const st = state.settings[state.active];
  if (JSON.stringify(value) === JSON.stringify(def.value)) delete st.levers[def.key];
  else st.levers[def.key] = value;
  const row = document.querySelector(`.lever[data-key="${CSS.escape(def.key)}"]`);
  if (row) row.classList.toggle('changed', def.key in st.levers);
  schedule(state.active);
}

function renderLevers(defs) {
  const st = state.settings[state.active];
  const box = $('levers');
  const groups = new Map();
  for (const d of defs) {
    if (!groups.has(d.group)) groups.set(d.group, []);
    groups.get(d.group).push(d);
  }
  const sets = [];
  for (const [g, list] of groups) {
    const fs = document.createElement('fieldset');
    const lg = document.createElement('legend'); lg.textContent = t('group_' + g); fs.append(lg);
    for (const d of list) fs.append(leverRow(d, d.key in st.levers ? st.levers[d.key] : d.value));
    sets.push(fs);
  }
  box.replaceChildren(...sets);
  renderAnyKeys();
}

function leverRow(d, value) {
  const st = state.settings[state.active];
  const row = document.createElement('div');
  row.className = 'lever' + (d.key in st.levers ? ' changed' : '');
  row.dataset.key = d.key;
  const id = 'lever-' + d.key.replaceAll('.', '-');
  const label = document.createElement('label');
  label.htmlFor = id; label.textContent = state.lang === 'zh' ? d.zh : d.en; label.title = d.key + ' — ' + t('changed');
  row.append(label);
  if (d.kind === 'choice') {
    const sel = document.createElement('select'); sel.id = id;
    for (const o of d.options) { const op = document.createElement('option'); op.value = o; op.textContent = o; sel.append(op); }
    sel.value = value;
    sel.addEventListener('change', () => setLever(d, sel.value));
    row.append(sel);
  } else if (d.kind === 'flag') {
    const cb = document.createElement('input'); cb.type = 'checkbox'; cb.id = id; cb.checked = !!value;
    cb.addEventListener('change', () => setLever(d, cb.checked));
    row.append(cb);
  } else {
    const num = document.createElement('input'); num.type = 'number'; num.id = id;
    num.min = d.min; num.max = d.max; num.step = d.integer ? 1 : 'any'; num.value = value ?? '';
    const range = document.createElement('input'); range.type = 'range';
    range.min = d.low; range.max = Math.max(d.high, Number(value) || 0); range.step = d.step; range.value = value ?? d.low;
    range.setAttribute('aria-label', label.textContent);
    const read = (s) => (d.integer ? Math.round(Number(s)) : Number(s));
    range.addEventListener('input', () => { num.value = range.value; setLever(d, read(range.value)); });
    num.addEventListener('change', () => {
      if (num.value === '' || !Number.isFinite(Number(num.value))) return;
      range.value = num.value; setLever(d, read(num.value));
    });
    row.append(num, range);
  }
  const msg = document.createElement('div'); msg.className = 'msg error'; row.append(msg);
  return row;
}

function renderAnyKeys() {
  const st = state.settings[state.active];
  const items = Object.entries(st.extra).map(([k, v]) => {
    const li = document.createElement('li');
    const span = document.createElement('span'); span.textContent = `${k} = ${JSON.stringify(v)}`;
    const rm = document.createElement('button'); rm.type = 'button'; rm.textContent = '×'; rm.title = t('remove');
    rm.addEventListener('click', () => { delete st.extra[k]; renderAnyKeys(); schedule(state.active); });
    li.append(span, rm);
    return li;
  });
  $('anykey-list').replaceChildren(...items);
}

function addAnyKey() {
  const path = $('anykey-path').value.trim();
  const raw = $('anykey-value').value.trim();
  if (!path || !raw) return;
  let value;
  try { value = JSON.parse(raw); } catch { value = raw; }
  state.settings[state.active].extra[path] = value;
  renderAnyKeys();
  schedule(state.active, 0);
}

// ---------- tabs, cards, status ----------

function renderTabs() {
  const buttons = state.order.map((l) => {
    const b = document.createElement('button');
    b.type = 'button'; b.className = l === state.active ? 'on' : ''; b.style.setProperty('--c0', COLORS[l]);
    b.textContent = l.toUpperCase(); b.dataset.label = l; b.setAttribute('role', 'tab');
    b.addEventListener('click', () => { state.active = l; renderAll(); loadLevers(); });
    if (l !== 'a') {
      const x = document.createElement('span'); x.className = 'x'; x.textContent = '×'; x.title = t('remove');
      x.addEventListener('click', (e) => {
        e.stopPropagation();
        state.order = state.order.filter((o) => o !== l); delete state.settings[l];
        if (state.active === l) state.active = 'a';
        renderAll(); loadLevers();
      });
      b.append(x);
    }
    return b;
  });
  const free = LABELS.find((l) => !state.order.includes(l));
  if (free) {
    const add = document.createElement('button');
    add.type = 'button'; add.className = 'add'; add.id = 'add-setting'; add.textContent = t('add');
    add.addEventListener('click', () => {
      state.settings[free] = newSetting(free, state.settings[state.active]);
      state.order.push(free); state.order.sort(); state.active = free;
      renderAll(); loadLevers(); schedule(free, 0);
    });
    buttons.push(add);
  }
  $('tabs').replaceChildren(...buttons);
  const st = state.settings[state.active];
  document.documentElement.style.setProperty('--c0', COLORS[state.active]);
  fillSelect($('strategy'), scenarioInfo().strategies.map((x) => [x.name, x.name]), st.strategy);
}

function renderStatus() {
  const st = state.settings[state.active];
  const el = $('status');
  el.className = 'status';
  if (!st) { el.textContent = ''; return; }
  if (st.error && !st.pending) { el.className = 'status error'; el.textContent = st.error; }
  else if (st.busy) { el.className = 'status busy'; el.textContent = t('queued'); }
  else if (st.pending) el.textContent = t('running');
  else if (st.seconds !== null) el.textContent = `${t('done')} ${fmt(st.seconds, 2)} ${t('seconds')}`;
  else el.textContent = '';
  el.dataset.state = st.pending ? 'pending' : st.error ? 'error' : 'done';
}

function last(list) { return list && list.length ? list[list.length - 1] : null; }

function renderCards() {
  const cards = state.order.map((l) => {
    const st = state.settings[l];
    const r = st.result;
    const card = document.createElement('div');
    card.className = 'card' + (l === state.active ? ' active' : '') + (st.pending ? ' pending' : '');
    card.style.setProperty('--c0', COLORS[l]);
    card.id = 'card-' + l;
    const h = document.createElement('h2');
    h.textContent = `${l.toUpperCase()}: ${st.strategy}` + (Object.keys(st.levers).length + Object.keys(st.extra).length ? ` (${Object.keys(st.levers).length + Object.keys(st.extra).length} ${t('changed')})` : '');
    card.append(h);
    if (!r) { card.append(document.createTextNode(st.error || t('running'))); return card; }
    const imp = last(r.impact);
    const big = document.createElement('div');
    const mean = imp ? imp.summary.mean : null;
    big.className = 'big' + (mean === null ? '' : mean < 0 ? ' good' : mean > 0 ? ' bad' : '');
    big.id = 'impact-' + l;
    big.dataset.mean = mean === null ? '' : String(mean);
    big.dataset.year = imp ? imp.year : '';
    big.textContent = imp ? `${mean > 0 ? '+' : ''}${fmt(mean, 2)}` : t('na');
    card.append(big);
    const sub = document.createElement('div'); sub.className = 'note';
    sub.textContent = imp ? `${t('points')} ${t('impact')}, ${imp.year} [${fmt(imp.summary.p05, 2)}, ${fmt(imp.summary.p95, 2)}]; ${t('better_in')} ${Math.round(imp.share_better * r.replicates)} ${t('of')} ${r.replicates} ${t('reps')}` : '';
    card.append(sub);
    const cost = last(r.cost_per_person_lifted);
    const inc = r.bands.incidence;
    const rows = [
      [`${t('incidence_end')} ${last(r.years)}`, `${fmt(100 * last(inc[1]).mean, 2)}% (${t('base_label')} ${fmt(100 * last(inc[0]).mean, 2)}%)`],
      [t('cost'), cost ? fmt(cost.summary.mean, 0) : t('na')],
      [t('budget_used'), `${fmt(r.budget.used / 1e6, 2)} / ${fmt(r.budget.available / 1e6, 2)} M¥`],
      [t('exited'), `${fmt(r.persons_exited[1], 0)} (${t('base_label')} ${fmt(r.persons_exited[0], 0)})`],
      [t('reentries'), `${fmt(r.reentries[1], 0)} (${t('base_label')} ${fmt(r.reentries[0], 0)})`],
    ];
    const dl = document.createElement('dl');
    for (const [k, v] of rows) { const dt = document.createElement('dt'); dt.textContent = k; const dd = document.createElement('dd'); dd.textContent = v; dl.append(dt, dd); }
    card.append(dl);
    if (st.error) { const e = document.createElement('div'); e.className = 'error'; e.textContent = st.error; card.append(e); }
    return card;
  });
  $('cards').replaceChildren(...cards);
}

// ---------- charts (SVG elements kept and updated in place) ----------

function el(svg, id, tag, attrs, parent) {
  let e = svg.querySelector(`[data-id="${id}"]`);
  if (!e) { e = document.createElementNS(SVGNS, tag); e.dataset.id = id; (parent || svg).append(e); }
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function layer(svg, name) {
  let g = svg.querySelector(`g[data-layer="${name}"]`);
  if (!g) { g = document.createElementNS(SVGNS, 'g'); g.dataset.layer = name; svg.append(g); }
  return g;
}

function prune(svg, keep) {
  for (const e of svg.querySelectorAll('[data-id]')) if (!keep.has(e.dataset.id)) e.remove();
}

function niceTicks(lo, hi, n) {
  const span = hi - lo || 1;
  const step0 = span / n;
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= n) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

function drawIncidence() {
  const svg = $('chart-incidence');
  const W = 640, H = 270, L = 48, R = 24, T = 10, B = 28;
  const series = [];
  const first = state.order.map((l) => state.settings[l].result).find((r) => r);
  if (first) series.push({ id: 'base', color: '#555', band: first.bands.incidence[0], years: first.years, name: `${t('base_label')}: ${first.strategies[0]}` });
  for (const l of state.order) {
    const r = state.settings[l].result;
    if (r) series.push({ id: l, color: COLORS[l], band: r.bands.incidence[1], years: r.years, name: `${l.toUpperCase()}: ${r.strategies[1]}` });
  }
  const keep = new Set();
  if (!series.length) { prune(svg, keep); return; }
  const years = series[0].years;
  let hi = 0;
  for (const s of series) for (const b of s.band) hi = Math.max(hi, 100 * (b.p95 ?? b.mean ?? 0));
  hi = hi > 0 ? hi * 1.08 : 1;
  const x = (i) => L + (W - L - R) * (years.length > 1 ? i / (years.length - 1) : 0.5);
  const y = (v) => T + (H - T - B) * (1 - v / hi);
  const axes = layer(svg, 'axes'), bands = layer(svg, 'bands'), lines = layer(svg, 'lines');
  niceTicks(0, hi, 5).forEach((v, i) => {
    keep.add('gy' + i); keep.add('ty' + i);
    el(svg, 'gy' + i, 'line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }, axes);
    el(svg, 'ty' + i, 'text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, axes).textContent = fmt(v, hi < 5 ? 1 : 0);
  });
  years.forEach((yr, i) => {
    keep.add('tx' + i);
    el(svg, 'tx' + i, 'text', { x: x(i), y: H - 8, 'text-anchor': 'middle' }, axes).textContent = yr;
  });
  keep.add('ax'); el(svg, 'ax', 'line', { x1: L, x2: W - R, y1: y(0), y2: y(0), class: 'axis' }, axes);
  for (const s of series) {
    const m = s.band.map((b, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(100 * (b.mean ?? 0)).toFixed(1)}`).join('');
    const up = s.band.map((b, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(100 * (b.p95 ?? 0)).toFixed(1)}`).join('');
    const down = s.band.map((b, i) => `L${x(i).toFixed(1)},${y(100 * (b.p05 ?? 0)).toFixed(1)}`).reverse().join('');
    keep.add('band-' + s.id); keep.add('mean-' + s.id);
    el(svg, 'band-' + s.id, 'path', { d: up + down + 'Z', fill: s.color, class: 'band' }, bands);
    el(svg, 'mean-' + s.id, 'path', { d: m, stroke: s.color, class: 'mean', 'stroke-dasharray': s.id === 'base' ? '6 4' : '' }, lines);
  }
  prune(svg, keep);
  legend($('legend-incidence'), series.map((s) => [s.color, s.name]));
}

function legend(box, items) {
  box.replaceChildren(...items.map(([c, name]) => {
    const span = document.createElement('span'); const i = document.createElement('i'); i.style.background = c;
    span.append(i, document.createTextNode(name)); return span;
  }));
}

function drawImpact() {
  const svg = $('chart-impact');
  const W = 640, L = 150, R = 20, T = 10, rowH = 38;
  const rows = state.order.map((l) => [l, state.settings[l].result]).filter(([, r]) => r && last(r.impact));
  const H = Math.max(80, T + rows.length * rowH + 30);
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const keep = new Set();
  let lo = 0, hi = 0;
  for (const [, r] of rows) { const s = last(r.impact).summary; lo = Math.min(lo, s.p05 ?? 0, s.mean ?? 0); hi = Math.max(hi, s.p95 ?? 0, s.mean ?? 0); }
  const pad = (hi - lo || 1) * 0.1; lo -= pad; hi += pad;
  const x = (v) => L + (W - L - R) * (v - lo) / (hi - lo);
  const axes = layer(svg, 'axes'), marks = layer(svg, 'marks');
  niceTicks(lo, hi, 6).forEach((v, i) => {
    keep.add('gx' + i); keep.add('tx' + i);
    el(svg, 'gx' + i, 'line', { x1: x(v), x2: x(v), y1: T, y2: H - 24, class: v === 0 ? 'axis' : 'grid' }, axes);
    el(svg, 'tx' + i, 'text', { x: x(v), y: H - 8, 'text-anchor': 'middle' }, axes).textContent = fmt(v, Math.abs(hi - lo) < 2 ? 2 : 1);
  });
  rows.forEach(([l, r], i) => {
    const s = last(r.impact).summary;
    const cy = T + i * rowH + rowH / 2;
    const m = s.mean ?? 0;
    keep.add('bar-' + l); keep.add('w-' + l); keep.add('lab-' + l);
    el(svg, 'bar-' + l, 'rect', { x: Math.min(x(0), x(m)), y: cy - 10, width: Math.abs(x(m) - x(0)), height: 20, fill: COLORS[l], opacity: 0.8 }, marks);
    el(svg, 'w-' + l, 'line', { x1: x(s.p05 ?? m), x2: x(s.p95 ?? m), y1: cy, y2: cy, stroke: '#222', 'stroke-width': 2, class: 'whisker' }, marks);
    el(svg, 'lab-' + l, 'text', { x: L - 8, y: cy + 4, 'text-anchor': 'end' }, marks).textContent = `${l.toUpperCase()}: ${fmt(m, 2)}`;
  });
  keep.add('note');
  el(svg, 'note', 'text', { x: 4, y: H - 8 }, axes).textContent = `← ${t('lower_better')}`;
  prune(svg, keep);
}

const KIND_COLORS = ['#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2'];

function drawSpending() {
  const svg = $('chart-spending');
  const W = 640, L = 150, R = 20, T = 8, rowH = 30;
  const rows = [];
  const first = state.order.map((l) => state.settings[l].result).find((r) => r);
  if (first) rows.push(['base', `${t('base_label')}: ${first.strategies[0]}`, first.spending[0]]);
  for (const l of state.order) { const r = state.settings[l].result; if (r) rows.push([l, `${l.toUpperCase()}: ${r.strategies[1]}`, r.spending[1]]); }
  const H = Math.max(80, T + rows.length * rowH + 26);
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const kinds = [];
  for (const [, , sp] of rows) for (const k of sp) if (!kinds.includes(k.kind)) kinds.push(k.kind);
  const total = Math.max(1, ...rows.map(([, , sp]) => sp.reduce((a, k) => a + k.yuan, 0)));
  const x = (v) => L + (W - L - R) * v / total;
  const keep = new Set();
  const axes = layer(svg, 'axes'), marks = layer(svg, 'marks');
  niceTicks(0, total / 1e6, 5).forEach((v, i) => {
    keep.add('gx' + i); keep.add('tx' + i);
    el(svg, 'gx' + i, 'line', { x1: x(v * 1e6), x2: x(v * 1e6), y1: T, y2: H - 22, class: 'grid' }, axes);
    el(svg, 'tx' + i, 'text', { x: x(v * 1e6), y: H - 8, 'text-anchor': 'middle' }, axes).textContent = fmt(v, v < 10 ? 1 : 0);
  });
  rows.forEach(([id, name, sp], i) => {
    const y = T + i * rowH + 4;
    keep.add('lab-' + id);
    el(svg, 'lab-' + id, 'text', { x: L - 8, y: y + 15, 'text-anchor': 'end' }, marks).textContent = name;
    let acc = 0;
    for (const kind of kinds) {
      const k = sp.find((s) => s.kind === kind);
      const v = k ? k.yuan : 0;
      const rid = `s-${id}-${kind}`; keep.add(rid);
      const rect = el(svg, rid, 'rect', { x: x(acc), y, width: Math.max(0, x(acc + v) - x(acc)), height: 20, fill: KIND_COLORS[kinds.indexOf(kind) % KIND_COLORS.length] }, marks);
      let title = rect.querySelector('title');
      if (!title) { title = document.createElementNS(SVGNS, 'title'); rect.append(title); }
      title.textContent = `${t(kind)}: ${fmt(v / 1e6, 2)} M¥`;
      acc += v;
    }
  });
  prune(svg, keep);
  legend($('legend-spending'), kinds.map((k, i) => [KIND_COLORS[i % KIND_COLORS.length], t(k)]));
}

const STATUS_COLORS = { n: ['#e6e6e6', '#9a9a9a'], R: ['#f4a3a3', '#c0392b'], E: ['#a8d8a8', '#2e7d32'] };

function drawHouseholds() {
  const canvas = $('households');
  const st = state.settings[state.active];
  const r = st && st.result;
  const g = canvas.getContext('2d');
  if (!r) { g.clearRect(0, 0, canvas.width, canvas.height); return; }
  const h = r.households;
  const n = h.status.length, years = h.years.length;
  // Households in columns of rows: each household a strip of one cell per year.
  const cell = 4, strip = years * cell + 3;
  const perCol = Math.max(1, Math.ceil(Math.sqrt(n * strip / cell / 3.2)));
  const cols = Math.ceil(n / perCol);
  canvas.width = Math.max(320, cols * strip + 4);
  canvas.height = perCol * cell + 4;
  g.clearRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < n; i++) {
    const cx = 2 + Math.floor(i / perCol) * strip, cy = 2 + (i % perCol) * cell;
    const s = h.status[i], p = h.poor[i];
    for (let y = 0; y < s.length; y++) {
      g.fillStyle = (STATUS_COLORS[s[y]] || STATUS_COLORS.n)[p[y] === '1' ? 1 : 0];
      g.fillRect(cx + y * cell, cy, cell - 0.5, cell - 0.5);
    }
  }
  const ran = h.project.filter((p) => p.some((x) => x)).length;
  const helped = h.member.filter((m) => m.some((x) => x !== null)).length;
  $('households-note').textContent = `(${t('shown')} ${fmt(n, 0)} ${t('of')} ${fmt(h.total, 0)} ${t('households')}, ${h.years[0]}–${last(h.years)}; ` +
    `${fmt(ran, 0)} ${t('with_project')}, ${fmt(helped, 0)} ${t('with_member')}; ${t('hover')})`;
  canvas.onmousemove = (e) => {
    const box = canvas.getBoundingClientRect();
    const x = (e.clientX - box.left) * canvas.width / box.width - 2, yy = (e.clientY - box.top) * canvas.height / box.height - 2;
    const i = Math.floor(x / strip) * perCol + Math.floor(yy / cell);
    if (x < 0 || yy < 0 || i < 0 || i >= n || Math.floor(yy / cell) >= perCol) { canvas.title = ''; return; }
    const lines = [`${t('household')} ${i} (${h.villages[h.village[i]]}), ${t('cause')}: ${h.cause[i]}`];
    h.years.forEach((year, k) => {
      const p = h.project[i][k], m = h.member[i][k];
      lines.push(`${year}: ${t('status_' + h.status[i][k])}; ${p || t('no_project')}${m !== null ? `, ${t('member')} #${m}` : ''}`);
    });
    canvas.title = lines.join('\n');
  };
  legend($('legend-households'), [
    [STATUS_COLORS.n[0], t('status_n')], [STATUS_COLORS.R[0], t('status_R')], [STATUS_COLORS.E[0], t('status_E')], ['#555', t('status_poor')],
  ]);
}

function renderAll() {
  renderTabs(); renderStatus(); renderCards();
  drawIncidence(); drawImpact(); drawSpending(); drawHouseholds();
}

// ---------- language, export, reset ----------

function setLang(lang) {
  state.lang = lang;
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
  document.title = t('title');
  $('lang-en').classList.toggle('on', lang === 'en');
  $('lang-zh').classList.toggle('on', lang === 'zh');
  if (state.info && state.scenario) { fillHeader(); renderAll(); renderLevers(currentDefs()); }
}

async function exportSetting() {
  const st = state.settings[state.active];
  const resp = await fetch('/api/export', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body(st) });
  const json = await resp.json();
  if (!resp.ok) { st.error = json.error; renderStatus(); return; }
  $('export-scenario').value = json.scenario;
  $('export-strategy').value = json.strategy;
  const link = (a, text, name) => {
    if (a.href) URL.revokeObjectURL(a.href);
    a.href = URL.createObjectURL(new Blob([text], { type: 'application/toml' }));
    a.download = name;
  };
  link($('download-scenario'), json.scenario, json.file);
  link($('download-strategy'), json.strategy, json.file.replace('.toml', '_strategy.toml'));
  $('export-dialog').showModal();
}

function reset() {
  const st = state.settings[state.active];
  st.levers = {}; st.extra = {};
  renderLevers(currentDefs());
  schedule(state.active, 0);
}

// ---------- start ----------

async function start() {
  const resp = await fetch('/api/scenarios');
  state.info = await resp.json();
  state.lang = state.info.lang === 'zh' ? 'zh' : 'en';
  setLang(state.lang);
  $('scenario').addEventListener('change', (e) => chooseScenario(e.target.value));
  $('village').addEventListener('change', (e) => {
    state.village = e.target.value === '' ? null : Number(e.target.value);
    fillHeader(); loadLevers(); scheduleAll();
  });
  $('baseline').addEventListener('change', (e) => { state.baseline = e.target.value; scheduleAll(); });
  $('replicates').addEventListener('change', (e) => { state.replicates = Math.max(1, Math.round(Number(e.target.value)) || 1); scheduleAll(); });
  $('seed').addEventListener('change', (e) => { state.seed = Math.max(0, Math.round(Number(e.target.value)) || 0); scheduleAll(); });
  $('strategy').addEventListener('change', (e) => {
    const st = state.settings[state.active];
    st.strategy = e.target.value; st.levers = {};
    loadLevers(); schedule(state.active, 0);
  });
  $('lang-en').addEventListener('click', () => setLang('en'));
  $('lang-zh').addEventListener('click', () => setLang('zh'));
  $('export').addEventListener('click', exportSetting);
  $('reset').addEventListener('click', reset);
  $('anykey-add').addEventListener('click', addAnyKey);
  $('anykey-value').addEventListener('keydown', (e) => { if (e.key === 'Enter') addAnyKey(); });
  chooseScenario(state.info.scenarios[0].name);
}

start();
