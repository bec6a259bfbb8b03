// The calculator's glue: form <-> input object <-> the core (WebAssembly) <-> preview.
// No framework and no network: the only requests are for this page's own files.
import init, * as core from './pkg/runai_gateway_wasm.js';

const $ = (id) => document.getElementById(id);
const controls = () => [...document.querySelectorAll('#form [data-field]')];
const controlFor = (field) => document.querySelector(`#form [data-field="${CSS.escape(field)}"]`);
const errorId = (field) => `e-${field.replaceAll('.', '-')}`;

let latest = null; // the outputs of the last valid input
let updates = 0; // counted on <body data-updates> so tests can wait for the next preview
let diagnosis = null; // the last diagnosis shown, redone when the form changes
let diagnoses = 0; // counted on <body data-diagnoses>

// The evaluation time of diagnostics is now, unless the address fixes it (`?now=UNIX_SECONDS`,
// the page's form of the CLI's hidden `--now`), so a report can be reproduced exactly.
const fixedNow = (() => {
  const v = new URLSearchParams(location.search).get('now');
  return v !== null && /^\d{1,11}$/.test(v) ? Number(v) : null;
})();

// ---- the input object ------------------------------------------------------------------------

function setPath(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {});
  o[keys.at(-1)] = value;
}

function getPath(obj, path) {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

// Reads the form into the config-file shape; empty fields are left out (their default applies).
// Problems the page itself finds (a port that is no number, a policy it cannot parse) come back
// in the same shape as the core's field errors.
function readForm() {
  const input = {};
  const errors = [];
  for (const el of controls()) {
    const field = el.dataset.field;
    const raw = el.value.trim();
    if (raw === '') continue;
    switch (el.dataset.kind) {
      case 'bool':
        setPath(input, field, raw === 'true');
        break;
      case 'port':
        if (/^\d{1,5}$/.test(raw) && Number(raw) <= 65535) setPath(input, field, Number(raw));
        else errors.push({ field, value: raw, problem: 'a port is a whole number between 1 and 65535', fix: 'give a number such as `80`' });
        break;
      case 'routes':
        try {
          setPath(input, field, core.parseRouteNamespaces(raw));
        } catch (e) {
          errors.push({ field, value: raw, problem: e.message, fix: 'for example `ns:runai,runai-backend` or `label:runai/queue`' });
        }
        break;
      default:
        setPath(input, field, raw);
    }
  }
  return { input, errors };
}

// Fills the form from an input object (an imported config file).
function fillForm(input) {
  for (const el of controls()) el.value = '';
  for (const field of core.inputFields()) {
    const v = getPath(input, field);
    if (v === undefined || v === null) continue;
    const el = controlFor(field);
    if (!el) continue;
    el.value = el.dataset.kind === 'routes' ? core.routeNamespacesFlag(v) : String(v);
  }
}

// ---- permalink: the whole input in the URL fragment (never sent to a server) -----------------

function permalinkHash() {
  const params = new URLSearchParams();
  for (const el of controls()) {
    const v = el.value.trim();
    if (v !== '') params.set(el.dataset.field, v);
  }
  const s = params.toString();
  return s ? `#${s}` : '';
}

function restoreFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const el of controls()) el.value = '';
  const ignored = [];
  for (const [field, value] of params) {
    const el = controlFor(field);
    if (!el) { ignored.push(field); continue; }
    if (el.tagName === 'SELECT' && ![...el.options].some((o) => o.value === value)) { ignored.push(field); continue; }
    el.value = value;
  }
  if (ignored.length) say(`Ignored unknown permalink fields: ${ignored.join(', ')}`);
}

// ---- showing problems ------------------------------------------------------------------------

function clearFieldErrors() {
  for (const el of controls()) {
    el.removeAttribute('aria-invalid');
    const p = $(errorId(el.dataset.field));
    if (p) { p.hidden = true; p.textContent = ''; }
  }
}

function showFieldError(err) {
  const el = controlFor(err.field);
  if (!el) return false;
  // Open a collapsed section so the message can be seen.
  const details = el.closest('details');
  if (details) details.open = true;
  el.setAttribute('aria-invalid', 'true');
  const p = $(errorId(err.field));
  p.textContent = p.textContent ? `${p.textContent} ${err.problem}.` : `${err.problem}. Fix: ${err.fix}`;
  p.hidden = false;
  return true;
}

function fillList(ul, items, render) {
  ul.replaceChildren(...items.map((it) => { const li = document.createElement('li'); render(li, it); return li; }));
}

function showProblems(errors, warnings) {
  clearFieldErrors();
  for (const e of errors) showFieldError(e);
  $('errors').hidden = errors.length === 0;
  fillList($('errors-list'), errors, (li, e) => {
    const a = document.createElement('a');
    const el = controlFor(e.field);
    a.href = el ? `#${el.id}` : '#form';
    a.textContent = e.field;
    li.append(a, `: ${e.value ? `\`${e.value}\` — ` : ''}${e.problem}. Fix: ${e.fix}`);
  });
  $('warnings').hidden = warnings.length === 0;
  fillList($('warnings-list'), warnings, (li, w) => { li.textContent = w; });
}

// ---- the preview -----------------------------------------------------------------------------

function cell(tr, text, tag = 'td') {
  const c = document.createElement(tag);
  c.textContent = text;
  tr.append(c);
}

function code(text) {
  const pre = document.createElement('pre');
  pre.className = 'code';
  pre.textContent = text;
  return pre;
}

function renderSteps(ol, steps) {
  fillList(ol, steps, (li, s) => {
    const h = document.createElement('h4');
    h.textContent = s.title + (s.manual ? ' (manual)' : '');
    li.append(h);
    if (s.detail) { const p = document.createElement('p'); p.textContent = s.detail; li.append(p); }
    if (s.commands.length) li.append(code(s.commands.join('\n')));
  });
}

function showOutputs(out) {
  $('out-plan').textContent = out.summary;
  $('out-yaml').textContent = out.yaml;
  $('out-helm').textContent = out.helm;
  $('out-json').textContent = out.json;
  const plan = out.plan;
  $('dns-table').tBodies[0].replaceChildren(...plan.dns.map((r) => {
    const tr = document.createElement('tr');
    cell(tr, r.name, 'th');
    tr.firstChild.scope = 'row';
    for (const t of [r.recordType, r.ingressTarget, r.gatewayTarget, r.serves]) cell(tr, t);
    return tr;
  }));
  fillList($('certs-list'), plan.secrets, (li, s) => {
    const h = document.createElement('h4');
    h.textContent = `${s.namespace}/${s.name}`;
    const p = document.createElement('p');
    p.textContent = `Must cover ${s.hosts.join(', ')} — used by ${s.usedBy}.`;
    li.append(h, p, code(s.create));
    if (s.copyFrom) {
      const q = document.createElement('p');
      q.textContent = `Or copy the existing secret from namespace ${s.copyFrom.namespace}:`;
      li.append(q, code(s.copyFrom.command));
    }
  });
  renderSteps($('steps-list'), plan.steps);
  renderSteps($('rollback-list'), plan.rollback);
}

// Once an input is valid, the placeholders show what the core actually resolved.
function showResolved(spec) {
  const resolved = {
    routingMode: spec.routingMode,
    platform: spec.platform,
    'inference.enabled': spec.inferenceDomain == null ? 'false' : 'true',
    'inference.domain': spec.inferenceDomain ?? '(inference off)',
    'gateway.name': spec.gatewayName,
    'gateway.namespace': spec.gatewayNamespace,
    'gateway.className': spec.gatewayClass,
    'gateway.controller': spec.controller,
    'gateway.httpRedirect': String(spec.httpRedirect),
    'gateway.websockets': String(spec.websockets),
    'tls.clusterDomainSecret': spec.clusterDomainSecret,
    'tls.workloadsSecret': spec.workloadsSecret,
    'tls.inferenceSecret': spec.inferenceSecret,
    'allowedRoutes.controlPlane': core.routeNamespacesFlag(spec.allowedRoutes.controlPlane),
    'allowedRoutes.workloads': core.routeNamespacesFlag(spec.allowedRoutes.workloads),
    'allowedRoutes.inference': core.routeNamespacesFlag(spec.allowedRoutes.inference),
    'knative.namespace': spec.knativeNamespace,
    'knative.kourierService': spec.kourierService,
    'knative.kourierPort': String(spec.kourierPort),
    'runai.controlPlane': spec.controlPlane,
    'runai.backend.release': spec.backend.release,
    'runai.backend.namespace': spec.backend.namespace,
    'runai.backend.chart': spec.backend.chart,
    'runai.cluster.release': spec.cluster.release,
    'runai.cluster.namespace': spec.cluster.namespace,
    'runai.cluster.chart': spec.cluster.chart,
  };
  showDefaults(resolved);
}

function showDefaults(defaults) {
  for (const [field, value] of Object.entries(defaults)) {
    const el = controlFor(field);
    if (!el) continue;
    if (el.tagName === 'SELECT') {
      const label = el.dataset.kind === 'bool' ? (value === 'true' ? 'yes' : value === 'false' ? 'no' : value) : value;
      el.options[0].textContent = `Default (${label})`;
    } else {
      el.placeholder = value;
    }
  }
}

function update() {
  const { input, errors: pageErrors } = readForm();
  let errors = pageErrors;
  let warnings = [];
  latest = null;
  if (pageErrors.length === 0) {
    try {
      latest = core.calculate(input);
      warnings = latest.plan.warnings;
    } catch (e) {
      if (e.kind === 'invalid') {
        errors = e.issues.errors;
        warnings = e.issues.warnings;
      } else {
        errors = [{ field: 'form', value: '', problem: e.message, fix: 'reset the form' }];
      }
    }
  }
  showProblems(errors, warnings);
  $('outputs').hidden = latest === null;
  if (latest) {
    showOutputs(latest);
    showResolved(latest.plan.spec);
  } else {
    showDefaults(core.fieldDefaults());
  }
  const hash = permalinkHash();
  if (hash !== location.hash) history.replaceState(null, '', hash || location.pathname + location.search);
  // The form is the command's flags: a shown diagnosis follows it.
  if (diagnosis !== null || !$('diag-report').hidden || !$('diag-error').hidden) runDiagnosis();
  document.body.dataset.updates = String(++updates);
}

// ---- actions ---------------------------------------------------------------------------------

function say(text, where = 'action-status') { $(where).textContent = text; }

async function copyText(text, what, where = 'action-status') {
  try {
    await navigator.clipboard.writeText(text);
    say(`Copied the ${what}.`, where);
  } catch {
    say(`Copying is blocked here: select the ${what} and copy it by hand.`, where);
  }
}

function download(name, text, type, where = 'action-status') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
  say(`Downloaded ${name}.`, where);
}

// Selects a tab of its own tablist and shows its panel.
function selectTab(tab) {
  for (const t of tab.closest('[role="tablist"]').querySelectorAll('[role="tab"]')) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
}

// ARIA tabs, one group per tablist (the views, and the preview's outputs): click, or the arrow
// keys, Home and End on the focused tab.
function setupTabs() {
  for (const list of document.querySelectorAll('[role="tablist"]')) {
    const tabs = [...list.querySelectorAll('[role="tab"]')];
    for (const [i, t] of tabs.entries()) {
      t.addEventListener('click', () => selectTab(t));
      t.addEventListener('keydown', (ev) => {
        const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
        if (to === undefined) return;
        ev.preventDefault();
        const next = tabs[(to + tabs.length) % tabs.length];
        selectTab(next);
        next.focus();
      });
    }
  }
  // Skip links show their view and move focus there without touching the URL fragment, which
  // holds the permalink.
  for (const a of document.querySelectorAll('a.skip')) {
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      selectTab($(a.dataset.view));
      $(a.getAttribute('href').slice(1)).focus();
    });
  }
}

// ---- diagnostics: `status --from-file` of a pasted snapshot ----------------------------------

const SEVERITY_MARK = { error: '✗', warning: '!', info: 'i' };

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-') || k.startsWith('aria-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  e.append(...children);
  return e;
}

function plural(n, word) { return `${n} ${word}${n === 1 ? '' : 's'}`; }

// A command with its copy button.
function commandBlock(command, what) {
  const pre = el('pre', { class: 'code', tabIndex: 0, 'aria-label': what }, command);
  const button = el('button', { type: 'button', class: 'copy' }, 'Copy');
  button.setAttribute('aria-label', `Copy the ${what}`);
  button.addEventListener('click', () => copyText(command, what, 'diag-status'));
  return el('div', { class: 'cmd' }, pre, button);
}

function findingView(f, docsBase) {
  const head = el('p', { class: 'finding-head' },
    el('span', { class: `sev sev-${f.severity}` }, el('span', { 'aria-hidden': 'true' }, `${SEVERITY_MARK[f.severity]} `), f.severity), ' ',
    el('code', {}, f.id));
  const body = [head, el('p', { class: 'message' }, f.message)];
  if (f.resource) body.push(el('p', { class: 'resource' }, 'Resource: ', el('code', {}, f.resource)));
  body.push(el('p', { class: 'hint' }, el('strong', {}, 'Hint: '), f.hint));
  if (f.fix) body.push(el('p', { class: 'fix-label' }, el('strong', {}, 'Fix:')), commandBlock(f.fix, `fix for ${f.id}`));
  body.push(el('p', { class: 'doc' }, 'Docs: ',
    el('a', { href: docsBase + f.doc, rel: 'noopener noreferrer', target: '_blank' }, f.doc)));
  return el('li', { class: `finding sev-${f.severity}` }, ...body);
}

function categoryView(c, docsBase) {
  const mark = c.worst ? SEVERITY_MARK[c.worst] : c.passed === 0 ? '-' : '✓';
  const state = c.worst ?? (c.passed === 0 ? 'not checked' : 'ok');
  const counts = [`${c.passed} passed`];
  if (c.skipped.length) counts.push(`${c.skipped.length} skipped`);
  if (c.findings.length) counts.unshift(plural(c.findings.length, 'finding'));
  const id = `diag-cat-${c.category}`;
  // The mark is for the eye; screen readers hear the state in words.
  const heading = el('h5', { id },
    el('span', { class: `mark sev-${c.worst ?? (c.passed ? 'ok' : 'none')}`, 'aria-hidden': 'true' }, mark), ' ',
    c.title, el('span', { class: 'visually-hidden' }, `, ${state}`), ' ', el('span', { class: 'counts' }, `(${counts.join(', ')})`));
  const section = el('section', { class: 'category', 'aria-labelledby': id, 'data-category': c.category }, heading);
  if (c.findings.length) section.append(el('ul', { class: 'findings' }, ...c.findings.map((f) => findingView(f, docsBase))));
  if (c.skipped.length) {
    section.append(el('details', { class: 'skipped' }, el('summary', {}, `Skipped checks (${c.skipped.length})`),
      el('ul', {}, ...c.skipped.map((s) => el('li', {}, el('code', {}, s.id), `: ${s.reason}`)))));
  }
  return section;
}

function showDiagnosis(d, now) {
  const r = d.report;
  $('diag-phase').textContent = phaseText(d);
  $('diag-target').textContent = `Gateway ${r.spec.gatewayNamespace}/${r.spec.gatewayName} for ${r.spec.clusterDomain}`
    + (r.context ? ` · context ${r.context}` : '')
    + ` · evaluated at ${new Date(now * 1000).toISOString().replace('.000Z', 'Z')}`;
  const count = (sev) => r.findings.filter((f) => f.severity === sev).length;
  $('diag-counts').textContent = `${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}, `
    + `${plural(count('info'), 'note')} · ${r.passed.length} checks passed, ${r.skipped.length} skipped`;
  $('diag-next').textContent = r.nextStep.title;
  $('diag-next-cmd').hidden = !r.nextStep.command;
  $('diag-next-command').textContent = r.nextStep.command ?? '';
  $('diag-categories').replaceChildren(...d.categories.map((c) => categoryView(c, d.docsBase)));
  $('diag-table').textContent = d.table;
  $('diag-json').textContent = d.json;
  $('diag-report').hidden = false;
  $('diag-error').hidden = true;
  say(`Diagnosed: ${phaseText(d)}. ${$('diag-counts').textContent}. Next: ${r.nextStep.title}`, 'diag-status');
}

// The phase line of the table ("Phase: …"), so the page and the CLI word it the same.
function phaseText(d) {
  const line = d.table.split('\n').find((l) => l.startsWith('Phase: '));
  return line ? line.slice('Phase: '.length) : d.report.phase;
}

function sentence(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

function showDiagnosisError(message, items = [], fix = '') {
  $('diag-report').hidden = true;
  $('diag-error-text').textContent = message;
  $('diag-error-fix').textContent = fix;
  $('diag-error-fix').hidden = fix === '';
  fillList($('diag-error-list'), items, (li, e) => {
    const control = controlFor(e.field);
    if (control) li.append(el('a', { href: `#${control.id}` }, e.field));
    else li.append(e.field);
    li.append(`: ${e.problem}. Fix: ${e.fix}`);
  });
  $('diag-error').hidden = false;
  say('Cannot diagnose this: see the message above the report.', 'diag-status');
}

function runDiagnosis() {
  const text = $('snapshot-text').value;
  const { input, errors } = readForm();
  const now = fixedNow ?? Date.now() / 1000;
  diagnosis = null;
  if (errors.length) {
    showDiagnosisError('The form has values the command would refuse as flags; fix them first.', errors);
  } else {
    try {
      diagnosis = core.diagnose(text, input, now);
      showDiagnosis(diagnosis, Math.floor(now));
    } catch (e) {
      if (e.kind === 'snapshot') {
        showDiagnosisError(`${sentence(e.problem)}.`, [], `Fix: ${e.fix}.`);
      } else if (e.kind === 'invalid') {
        showDiagnosisError('With the snapshot filled in, the input is still incomplete; set these in the form:', e.issues.errors);
      } else {
        showDiagnosisError(e.message);
      }
    }
  }
  document.body.dataset.diagnoses = String(++diagnoses);
}

function setupDiagnostics() {
  $('diagnose').addEventListener('click', runDiagnosis);
  let timer = null;
  $('snapshot-text').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(runDiagnosis, 400);
  });
  $('snapshot-file').addEventListener('change', async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    $('snapshot-text').value = await file.text();
    runDiagnosis();
  });
  $('diagnose-clear').addEventListener('click', () => {
    $('snapshot-text').value = '';
    $('snapshot-file').value = '';
    diagnosis = null;
    $('diag-report').hidden = true;
    $('diag-error').hidden = true;
    say('Cleared the snapshot.', 'diag-status');
    $('snapshot-text').focus();
  });
  $('diag-download-json').addEventListener('click', () => diagnosis
    && download('runai-gateway-report.json', diagnosis.json, 'application/json', 'diag-status'));
}

function setupActions() {
  $('copy-permalink').addEventListener('click', () => copyText(location.href, 'permalink'));
  $('download-yaml').addEventListener('click', () => latest && download('runai-gateway-bundle.yaml', latest.yaml, 'application/yaml'));
  $('download-script').addEventListener('click', () => latest && download('migrate.sh', latest.helm, 'text/x-shellscript'));
  $('download-config').addEventListener('click', () => {
    const text = core.configYaml(readForm().input);
    download('runai-gateway-config.yaml', text, 'application/yaml');
  });
  for (const b of document.querySelectorAll('button.copy[data-copy]')) {
    const what = b.dataset.what ?? b.closest('.panel').querySelector('pre').getAttribute('aria-label');
    const where = b.closest('#diagnostics') ? 'diag-status' : 'action-status';
    b.addEventListener('click', () => copyText($(b.dataset.copy).textContent, what, where));
  }
  $('reset').addEventListener('click', () => {
    for (const el of controls()) el.value = '';
    update();
    controlFor('clusterDomain').focus();
  });
  $('import-file').addEventListener('change', async (ev) => {
    const file = ev.target.files[0];
    if (file) $('import-text').value = await file.text();
  });
  $('import-apply').addEventListener('click', () => {
    const err = $('import-error');
    try {
      fillForm(core.parseConfig($('import-text').value));
      err.hidden = true;
      update();
      say('Loaded the config file into the form.');
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    }
  });
}

// ---- start -----------------------------------------------------------------------------------

async function main() {
  await init();
  $('version').textContent = ` (runai-gateway ${core.version()})`;
  const controller = controlFor('gateway.controller');
  for (const [name, cls] of core.controllers()) {
    controller.add(new Option(cls ? `${name} (class ${cls})` : `${name} (give the class)`, name));
  }
  // An error slot under every control, referenced for screen readers.
  for (const el of controls()) {
    const p = document.createElement('p');
    p.className = 'error';
    p.id = errorId(el.dataset.field);
    p.hidden = true;
    el.closest('.field').append(p);
    el.setAttribute('aria-describedby', `${el.getAttribute('aria-describedby') ?? ''} ${p.id}`.trim());
  }
  setupTabs();
  setupActions();
  setupDiagnostics();
  restoreFromHash();
  $('form').addEventListener('input', update);
  $('form').addEventListener('change', update);
  $('form').addEventListener('submit', (ev) => ev.preventDefault());
  window.addEventListener('hashchange', () => { restoreFromHash(); update(); });
  update();
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  document.body.dataset.ready = 'error';
  const p = document.createElement('p');
  p.className = 'error';
  p.setAttribute('role', 'alert');
  p.textContent = `The calculator could not start: ${e.message ?? e}`;
  document.querySelector('.top').append(p);
});
