// The calculator's glue: form <-> input object <-> the core (WebAssembly) <-> preview.
// No framework and no network: the only requests are for this page's own files. The calculator
// module loads with the page; the diagnostics module (the YAML parser, the snapshot reader, the
// certificate and gzip decoders) only when the Diagnose view opens or a config file is imported.
'use strict';
// A classic script (see index.html): the calculator's glue (`pkg/calculator.js`, wasm-bindgen's
// `no-modules` target) ran just before and declared the engine as `wasm_bindgen` in the global
// scope: calling it starts the engine, and its properties are the engine's functions.
// eslint-disable-next-line no-undef
const core = wasm_bindgen;
const init = (options) => core(options);

const $ = (id) => document.getElementById(id);
const controls = () => [...document.querySelectorAll('#form [data-field]')];
const controlFor = (field) => document.querySelector(`#form [data-field="${CSS.escape(field)}"]`);
const errorId = (field) => `e-${field.replaceAll('.', '-')}`;

// While the cluster domain is empty, the preview shows this example, marked as such.
const EXAMPLE_DOMAIN = 'runai.example.com';
// Validation waits for a pause in typing (or for leaving the field).
const PAUSE_MS = 400;

let latest = null; // the outputs of the last valid input
let updates = 0; // counted on <body data-updates> so tests can wait for the next preview
let diagnosis = null; // the last diagnosis shown, redone when the form changes
let diagnoses = 0; // counted on <body data-diagnoses>
let keepAddress = false; // a permalink with a bad value stays in the address bar until an edit
let planCols = 0; // the summary's width in columns, from its box
let lastReportCols = 80; // the report table's, likewise

// The evaluation time of diagnostics is now, unless the address fixes it (`?now=UNIX_SECONDS`,
// the page's form of the CLI's hidden `--now`), so a report can be reproduced exactly.
const fixedNow = (() => {
  const v = new URLSearchParams(location.search).get('now');
  return v !== null && /^\d{1,11}$/.test(v) ? Number(v) : null;
})();

// ---- the diagnostics module, on demand -------------------------------------------------------

let diagnosticsModule = null;
function diagnostics() {
  diagnosticsModule ??= import('./pkg/diagnostics.js')
    .then(async (m) => { await m.default(); document.body.dataset.diagnosticsLoaded = 'true'; return m; })
    .catch((e) => { diagnosticsModule = null; throw e; });
  return diagnosticsModule;
}

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

// Reads the form into the config-file shape; empty fields are left out (their default applies),
// and so are fields that do not apply (disabled). Problems the page itself finds (a port that is
// no number, a policy it cannot parse) come back in the same shape as the core's field errors.
function readForm() {
  const input = {};
  const errors = [];
  for (const el of controls()) {
    const field = el.dataset.field;
    const raw = el.value.trim();
    if (raw === '' || el.disabled) continue;
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

// Fills the form from the address. A key the form does not have, or a value a list does not
// offer, is named with its value, left out of the form, and the address is kept as it came
// (until the next edit), so the link can still be read and corrected.
function restoreFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const el of controls()) el.value = '';
  const problems = [];
  for (const [field, value] of params) {
    const el = controlFor(field);
    if (!el) {
      problems.push(`\`${field}=${value}\`: the form has no field \`${field}\``);
      continue;
    }
    if (el.tagName === 'SELECT' && ![...el.options].some((o) => o.value === value)) {
      const offered = [...el.options].map((o) => o.value).filter((v) => v !== '');
      problems.push(`\`${field}=${value}\`: ${labelOf(field)} is one of ${offered.map((v) => `\`${v}\``).join(', ')}`);
      continue;
    }
    el.value = value;
  }
  keepAddress = problems.length > 0;
  const box = $('link-problems');
  box.hidden = !keepAddress;
  if (keepAddress) {
    fillList($('link-problems-list'), problems, (li, p) => richText(li, p));
  }
}

// ---- messages in the form's terms ------------------------------------------------------------

// The label a person sees for a field ("Cluster domain"), without "(required)".
function labelOf(field) {
  const el = controlFor(field);
  const label = el?.labels?.[0];
  if (!label) return field;
  const copy = label.cloneNode(true);
  for (const extra of copy.querySelectorAll('.req')) extra.remove();
  return copy.textContent.trim();
}

// The core speaks in CLI flags (`--cluster-domain X`) and config keys; the form has labels. Each
// control names its flag (`data-flag`), so flags become "set «Label» to `X`". Labels are marked
// with \u0001 for richText.
function formTerms(text) {
  const fieldOfFlag = Object.fromEntries(
    [...document.querySelectorAll('#form [data-flag]')].map((el) => [el.dataset.flag, el.dataset.field]));
  const label = (flag) => `\u0001${labelOf(fieldOfFlag[flag])}\u0001`;
  return text
    .replace(/,? or set `[A-Za-z.]+:` in the config file/g, '')
    .replace(/`--no-inference`/g, () => `${label('--no-inference')} set to \`no\``)
    .replace(/\b(pass|use|drop) `(--[a-z-]+)(?: ([^`]*))?`/g, (all, verb, flag, value) => {
      if (!fieldOfFlag[flag]) return all;
      if (verb === 'drop') return `clear ${label(flag)}`;
      return value ? `set ${label(flag)} to \`${value}\`` : `fill in ${label(flag)}`;
    })
    .replace(/`(--[a-z-]+)(?: ([^`]*))?`/g, (all, flag, value) => {
      if (!fieldOfFlag[flag]) return all;
      return value ? `${label(flag)} set to \`${value}\`` : label(flag);
    });
}

// Text with `code` in backticks and «labels», kept as lines.
function richText(el, text) {
  const nodes = [];
  text.split('\n').forEach((line, i) => {
    if (i > 0) nodes.push(document.createElement('br'));
    for (const part of line.split(/(`[^`\n]*`|\u0001[^\u0001]*\u0001)/)) {
      if (part === '') continue;
      if (part.startsWith('`') && part.endsWith('`') && part.length > 1) {
        const c = document.createElement('code');
        c.textContent = part.slice(1, -1);
        nodes.push(c);
      } else if (part.startsWith('\u0001')) {
        const b = document.createElement('strong');
        b.className = 'label-ref';
        b.textContent = part.slice(1, -1);
        nodes.push(b);
      } else {
        nodes.push(part);
      }
    }
  });
  el.replaceChildren(...nodes);
}

function sentence(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

// ---- showing problems ------------------------------------------------------------------------

function clearFieldErrors() {
  for (const el of controls()) {
    el.removeAttribute('aria-invalid');
    const p = $(errorId(el.dataset.field));
    if (p) { p.hidden = true; p.textContent = ''; }
  }
}

function problemText(err) {
  return formTerms(`${sentence(err.problem)}. Fix: ${err.fix}`);
}

function showFieldError(err) {
  const el = controlFor(err.field);
  if (!el) return false;
  // Open a collapsed section so the message can be seen.
  const details = el.closest('details');
  if (details) details.open = true;
  el.setAttribute('aria-invalid', 'true');
  const p = $(errorId(err.field));
  const text = p.hidden ? problemText(err) : `${p.dataset.text}\n${problemText(err)}`;
  p.dataset.text = text;
  richText(p, text);
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
    a.textContent = el ? labelOf(e.field) : e.field;
    a.addEventListener('click', (ev) => { ev.preventDefault(); if (el) { showForm(); el.focus(); } });
    const rest = document.createElement('span');
    richText(rest, `: ${e.value ? `\`${e.value}\` — ` : ''}${problemText(e)}`);
    li.append(a, rest);
  });
  $('warnings').hidden = warnings.length === 0;
  fillList($('warnings-list'), warnings, (li, w) => richText(li, formTerms(w)));
}

// ---- highlighting: YAML, shell and JSON, as spans around the same text -----------------------

function span(cls, text) {
  const s = document.createElement('span');
  s.className = cls;
  s.textContent = text;
  return s;
}

// Splits `line` by a pattern whose groups name the classes (in order); the rest stays text.
function tokens(out, line, pattern, classes) {
  let last = 0;
  for (const m of line.matchAll(pattern)) {
    if (m.index > last) out.push(line.slice(last, m.index));
    const g = m.slice(1).findIndex((x) => x !== undefined);
    out.push(g < 0 ? m[0] : span(classes[g], m[0]));
    last = m.index + m[0].length;
  }
  if (last < line.length) out.push(line.slice(last));
}

const SHELL = /('[^']*'|"(?:[^"\\]|\\.)*")|((?<=^|\s)--?[A-Za-z][\w-]*(?:=)?)|(\$\{?[A-Za-z_][\w]*\}?)|(\s#.*$)/g;
const JSON_TOKENS = /("(?:[^"\\]|\\.)*"(?=\s*:))|("(?:[^"\\]|\\.)*")|(\b(?:true|false|null)\b|-?\d+(?:\.\d+)?)/g;

function highlightLine(line, lang, out) {
  if (lang === 'json') return tokens(out, line, JSON_TOKENS, ['hl-key', 'hl-str', 'hl-lit']);
  const comment = line.match(/^(\s*)(#.*)$/);
  if (comment) { out.push(comment[1], span('hl-comment', comment[2])); return; }
  if (lang === 'yaml') {
    if (line === '---') { out.push(span('hl-sep', line)); return; }
    const m = line.match(/^(\s*(?:- )?)([^\s:#'"][^:]*?|"[^"]*")(:)(\s.*|$)/);
    if (!m) { tokens(out, line, /("[^"]*"|'[^']*')/g, ['hl-str']); return; }
    out.push(m[1], span('hl-key', m[2]), m[3]);
    const value = m[4];
    if (/^\s+("[^"]*"|'[^']*')$/.test(value)) out.push(value.match(/^\s+/)[0], span('hl-str', value.trim()));
    else if (/^\s+(true|false|null|-?\d+)$/.test(value)) out.push(value.match(/^\s+/)[0], span('hl-lit', value.trim()));
    else out.push(value);
    return;
  }
  // shell: the command word of a line, then strings, flags, variables and trailing comments
  const lead = line.match(/^(\s*(?:\$ )?)([A-Za-z_][\w.-]*)(?=\s|$)/);
  if (lead && !/^\s*(?:then|else|fi|do|done|esac|in)$/.test(lead[2])) {
    out.push(lead[1], span('hl-cmd', lead[2]));
    tokens(out, line.slice(lead[0].length), SHELL, ['hl-str', 'hl-flag', 'hl-var', 'hl-comment']);
  } else {
    tokens(out, line, SHELL, ['hl-str', 'hl-flag', 'hl-var', 'hl-comment']);
  }
}

// Shows `text` in `pre`, highlighted; its textContent stays exactly `text`.
function showCode(pre, text, lang) {
  const out = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    highlightLine(line, lang, out);
    if (i < lines.length - 1) out.push('\n');
  });
  pre.replaceChildren(...out);
}

// ---- the preview -----------------------------------------------------------------------------

function cell(tr, text, tag = 'td') {
  const c = document.createElement(tag);
  c.textContent = text;
  tr.append(c);
}

function code(text, lang = 'shell') {
  const pre = document.createElement('pre');
  pre.className = 'code';
  showCode(pre, text, lang);
  return pre;
}

function renderSteps(ol, steps) {
  fillList(ol, steps, (li, s) => {
    const h = document.createElement('h4');
    h.textContent = s.title + (s.manual ? ' (manual)' : '');
    li.append(h);
    if (s.detail) { const p = document.createElement('p'); richText(p, s.detail); li.append(p); }
    if (s.commands.length) li.append(code(s.commands.join('\n')));
  });
}

// The summary first; the highlighted forms and the tables right after the first paint, so the
// first preview does not wait for them.
function showOutputs(out) {
  $('out-plan').textContent = out.summary;
  document.body.dataset.planWidth = String(planCols);
  if (!document.body.dataset.firstPreview) {
    performance.mark('first-preview');
    document.body.dataset.firstPreview = String(Math.round(performance.now()));
    return new Promise((resolve) => setTimeout(() => { showRest(out); resolve(); }, 0));
  }
  showRest(out);
  return Promise.resolve();
}

function showRest(out) {
  if (out !== latest) return;
  showCode($('out-yaml'), out.yaml, 'yaml');
  showCode($('out-helm'), out.helm, 'shell');
  showCode($('out-json'), out.json, 'json');
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
    richText(p, `Must cover ${s.hosts.join(', ')} — used by ${s.usedBy}.`);
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
    'tls.issuer': spec.tlsIssuer ? `${spec.tlsIssuer.kind === 'ClusterIssuer' ? 'clusterissuer' : 'issuer'}/${spec.tlsIssuer.name}` : 'none: secrets by hand',
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

// Fields that do not apply to the rest of the input are disabled, with the reason under them;
// one that holds a value stays editable (the value still counts), so it can be cleared.
const APPLIES = [
  { fields: ['tls.workloadsSecret'], off: (v) => v.routingMode === 'path',
    why: 'Not used in path mode: there is no workloads wildcard listener.' },
  { fields: ['inference.domain', 'tls.inferenceSecret', 'allowedRoutes.inference'], off: (v) => v.inference === 'false',
    why: 'Not used: inference is off (Route inference through the Gateway is `no`).' },
  { fields: ['runai.controlPlaneContext'], off: (v) => v.controlPlane === 'saas' || v.controlPlane === 'same-cluster',
    why: 'Only a remote control plane has a kube context of its own.' },
  { fields: ['runai.backend.release', 'runai.backend.namespace', 'runai.backend.chart', 'runai.backend.chartVersion'],
    off: (v) => v.controlPlane === 'saas', why: 'Not used: NVIDIA runs a SaaS control plane.' },
];

function applyRelevance() {
  const v = {
    routingMode: controlFor('routingMode').value || latest?.plan.spec.routingMode || 'host',
    inference: controlFor('inference.enabled').value,
    controlPlane: controlFor('runai.controlPlane').value,
  };
  for (const rule of APPLIES) {
    const off = rule.off(v);
    for (const field of rule.fields) {
      const el = controlFor(field);
      const note = $(`w-${field.replaceAll('.', '-')}`);
      el.disabled = off && el.value.trim() === '';
      note.hidden = !off;
      if (off) richText(note, rule.why);
    }
  }
}

// Widths in columns: what fits in a code box in its monospace font (every code box has the same
// font). The summary and the report are rendered by the core at that width, as the CLI renders
// them at a terminal's (`--width`).
let charWidth = 0;
function columnsIn(box) {
  if (box.offsetParent === null) return 0;
  if (!charWidth) {
    const probe = el('span', {}, '0'.repeat(100));
    probe.style.cssText = 'visibility:hidden;position:absolute;white-space:pre';
    $('out-plan').append(probe);
    charWidth = probe.getBoundingClientRect().width / 100;
    probe.remove();
  }
  // A code box has 0.75rem of padding and a 1px border each side.
  const pad = 2 * (parseFloat(getComputedStyle(document.documentElement).fontSize) * 0.75 + 1);
  const width = box.tagName === 'PRE' ? box.clientWidth - (pad - 2) : box.clientWidth - pad;
  return charWidth > 0 ? Math.max(40, Math.floor(width / charWidth)) : 0;
}

function measurePlanCols() {
  return columnsIn($('out-plan')) || planCols;
}

function setState(state, errors) {
  const outputs = $('outputs');
  outputs.dataset.state = state;
  outputs.classList.toggle('stale', state === 'stale');
  const note = $('stale');
  if (state === 'stale') {
    richText(note, `Out of date: the input has ${errors === 1 ? 'a problem' : `${errors} problems`}; this is the last valid preview.`);
  } else if (state === 'example') {
    richText(note, `An example for \`${EXAMPLE_DOMAIN}\`: enter your \u0001Cluster domain\u0001 to plan your cluster.`);
  }
  note.hidden = state === 'fresh';
  note.className = `stale-note ${state}`;
  const usable = state === 'fresh';
  for (const id of ['download-yaml', 'download-script', 'download-config', 'copy-permalink']) {
    $(id).disabled = !usable;
  }
  for (const b of document.querySelectorAll('#outputs button.copy')) b.disabled = !usable;
}

// Recomputes the preview from the form. An input with errors keeps the last valid preview on
// screen, dimmed and marked out of date; an empty cluster domain shows the example.
function refresh() {
  clearTimeout(pause);
  pause = null;
  planCols = measurePlanCols() || planCols;
  const { input, errors: pageErrors } = readForm();
  let errors = pageErrors;
  let warnings = [];
  let out = null;
  const example = !input.clusterDomain;
  if (pageErrors.length === 0) {
    try {
      out = core.calculate(example ? { ...input, clusterDomain: EXAMPLE_DOMAIN } : input, planCols);
      warnings = out.plan.warnings;
    } catch (e) {
      if (e.kind === 'invalid') {
        errors = e.issues.errors;
        warnings = e.issues.warnings;
      } else {
        errors = [{ field: 'form', value: '', problem: e.message, fix: 'reset the form' }];
      }
    }
  }
  // The example's warnings are about the example, not about this cluster.
  showProblems(errors, out && example ? [] : warnings);
  let shown = Promise.resolve();
  if (out) {
    latest = out;
    shown = showOutputs(out);
    showResolved(out.plan.spec);
  } else if (!latest) {
    showDefaults(core.fieldDefaults());
  }
  $('outputs').hidden = latest === null;
  setState(out ? (example ? 'example' : 'fresh') : 'stale', errors.length);
  applyRelevance();
  if (!keepAddress) {
    const hash = permalinkHash();
    if (hash !== location.hash) history.replaceState(null, '', hash || location.pathname + location.search);
  }
  // The form is the command's flags: a shown diagnosis follows it.
  if (diagnosis !== null || !$('diag-report').hidden || !$('diag-error').hidden) runDiagnosis();
  shown.then(() => { document.body.dataset.updates = String(++updates); });
}

let pause = null;
function refreshAfterPause() {
  clearTimeout(pause);
  pause = setTimeout(refresh, PAUSE_MS);
}

// ---- actions ---------------------------------------------------------------------------------

function say(text, where = 'action-status') { richText($(where), text); }

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
  say(`Downloaded \`${name}\`.`, where);
}

// Selects a tab of its own tablist and shows its panel.
function selectTab(tab) {
  for (const t of tab.closest('[role="tablist"]').querySelectorAll('[role="tab"]')) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
  if (tab.id === 'view-diagnostics') diagnostics().catch(() => {});
  if (tab.id === 'tab-summary' && measurePlanCols() !== planCols) refresh();
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
      showPreview();
      $(a.getAttribute('href').slice(1)).focus();
    });
  }
}

// Narrow screens: the preview is docked under the form while editing; the switch gives it the
// whole screen, or gives the form back.
function showForm() { setShown('form'); }
function showPreview() { setShown('preview'); }
function setShown(which) {
  $('layout').dataset.show = which;
  $('show-form').setAttribute('aria-pressed', String(which === 'form'));
  $('show-preview').setAttribute('aria-pressed', String(which === 'preview'));
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

function rich(tag, props, text) {
  const e = el(tag, props);
  richText(e, text);
  return e;
}

function plural(n, word) { return `${n} ${word}${n === 1 ? '' : 's'}`; }

// A command with its copy button.
function commandBlock(command, what) {
  const pre = el('pre', { class: 'code', tabIndex: 0, 'aria-label': what });
  showCode(pre, command, 'shell');
  const button = el('button', { type: 'button', class: 'copy' }, 'Copy');
  button.setAttribute('aria-label', `Copy the ${what}`);
  button.addEventListener('click', () => copyText(command, what, 'diag-status'));
  return el('div', { class: 'cmd' }, pre, button);
}

function findingView(f, docsBase) {
  const head = el('p', { class: 'finding-head' },
    el('span', { class: `sev sev-${f.severity}` }, el('span', { 'aria-hidden': 'true' }, `${SEVERITY_MARK[f.severity]} `), f.severity), ' ',
    el('code', {}, f.id));
  const body = [head, rich('p', { class: 'message' }, f.message)];
  if (f.resource) body.push(el('p', { class: 'resource' }, 'Resource: ', el('code', {}, f.resource)));
  const hint = rich('p', { class: 'hint' }, f.hint);
  hint.prepend(el('strong', {}, 'Hint: '));
  body.push(hint);
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

function showDiagnosis(d, now, cols) {
  const r = d.report;
  $('diag-phase').textContent = phaseText(d);
  $('diag-target').textContent = `Gateway ${r.spec.gatewayNamespace}/${r.spec.gatewayName} for ${r.spec.clusterDomain}`
    + (r.context ? ` · context ${r.context}` : '')
    + ` · evaluated at ${new Date(now * 1000).toISOString().replace('.000Z', 'Z')}`;
  const count = (sev) => r.findings.filter((f) => f.severity === sev).length;
  $('diag-counts').textContent = `${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}, `
    + `${plural(count('info'), 'note')} · ${r.passed.length} checks passed, ${r.skipped.length} skipped`;
  richText($('diag-next'), r.nextStep.title);
  $('diag-next-cmd').hidden = !r.nextStep.command;
  showCode($('diag-next-command'), r.nextStep.command ?? '', 'shell');
  $('diag-categories').replaceChildren(...d.categories.map((c) => categoryView(c, d.docsBase)));
  $('diag-table').textContent = d.table;
  document.body.dataset.reportWidth = String(cols);
  showCode($('diag-json'), d.json, 'json');
  $('diag-report').hidden = false;
  $('diag-error').hidden = true;
  say(`Diagnosed: ${phaseText(d)}. ${$('diag-counts').textContent}. Next: ${r.nextStep.title}`, 'diag-status');
}

// The phase line of the table ("Phase: …"), so the page and the CLI word it the same.
function phaseText(d) {
  const lines = d.table.split('\n');
  const i = lines.findIndex((l) => l.startsWith('Phase: '));
  if (i < 0) return d.report.phase;
  // At a narrow width the phase wraps onto indented lines.
  let text = lines[i].slice('Phase: '.length);
  for (const more of lines.slice(i + 1)) {
    if (!more.startsWith('       ')) break;
    text += ` ${more.trim()}`;
  }
  return text;
}

function showDiagnosisError(message, items = [], fix = '') {
  $('diag-report').hidden = true;
  richText($('diag-error-text'), message);
  richText($('diag-error-fix'), fix);
  $('diag-error-fix').hidden = fix === '';
  fillList($('diag-error-list'), items, (li, e) => {
    const control = controlFor(e.field);
    const a = control ? el('a', { href: `#${control.id}` }, labelOf(e.field)) : el('span', {}, e.field);
    if (control) a.addEventListener('click', (ev) => { ev.preventDefault(); showForm(); control.focus(); });
    li.append(a, rich('span', {}, `: ${problemText(e)}`));
  });
  $('diag-error').hidden = false;
  say('Cannot diagnose this: see the message above the report.', 'diag-status');
}

// The report table's width in columns, from its box (or the view's, before the first report).
function reportCols() {
  lastReportCols = columnsIn($('diag-report').hidden ? $('diagnostics') : $('diag-table')) || lastReportCols;
  return lastReportCols;
}

async function runDiagnosis() {
  const text = $('snapshot-text').value;
  const { input, errors } = readForm();
  const now = fixedNow ?? Date.now() / 1000;
  diagnosis = null;
  const done = () => { document.body.dataset.diagnoses = String(++diagnoses); };
  if (errors.length) {
    showDiagnosisError('The form has values the command would refuse as flags; fix them first.', errors);
    return done();
  }
  let m;
  try {
    m = await diagnostics();
  } catch (e) {
    showDiagnosisError(`The diagnostics could not load: ${e.message ?? e}. Reload the page to try again.`);
    return done();
  }
  const cols = reportCols();
  try {
    diagnosis = m.diagnose(text, Object.keys(input).length ? input : null, now, cols);
    showDiagnosis(diagnosis, Math.floor(now), cols);
  } catch (e) {
    if (e.kind === 'snapshot') {
      showDiagnosisError(`${sentence(e.problem)}.`, [], `Fix: ${e.fix}.`);
    } else if (e.kind === 'invalid') {
      showDiagnosisError('With the snapshot filled in, the input is still incomplete; set these in the form:', e.issues.errors);
    } else {
      showDiagnosisError(e.message);
    }
  }
  return done();
}

function setupDiagnostics() {
  $('diagnose').addEventListener('click', runDiagnosis);
  let timer = null;
  $('snapshot-text').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(runDiagnosis, PAUSE_MS);
  });
  $('snapshot-file').addEventListener('change', async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    $('snapshot-text').value = await file.text();
    runDiagnosis();
  });
  $('diagnose-example').addEventListener('click', async () => {
    try {
      const res = await fetch('example-snapshot.yaml');
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      $('snapshot-text').value = await res.text();
      await runDiagnosis();
      say(`Example snapshot: ${$('diag-status').textContent}`, 'diag-status');
    } catch (e) {
      say(`The example snapshot could not be loaded (${e.message}); paste one instead.`, 'diag-status');
    }
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
  $('copy-permalink').addEventListener('click', () => copyText(location.href, 'link to this input'));
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
    keepAddress = false;
    $('link-problems').hidden = true;
    refresh();
    controlFor('clusterDomain').focus();
  });
  $('import-file').addEventListener('change', async (ev) => {
    const file = ev.target.files[0];
    if (file) $('import-text').value = await file.text();
  });
  $('import-apply').addEventListener('click', async () => {
    const err = $('import-error');
    say('');
    try {
      const m = await diagnostics();
      fillForm(m.parseConfig($('import-text').value));
      err.hidden = true;
      keepAddress = false;
      $('link-problems').hidden = true;
      refresh();
      say('Loaded the config file into the form.');
    } catch (e) {
      // The parser's message is several lines (the line, a caret under the column): keep them.
      richText(err, `The config file was not loaded; the form is unchanged.\n${e.message ?? e}`);
      err.hidden = false;
      say('The config file was not loaded: see the message under the import box.');
    }
  });
}

// ---- start -----------------------------------------------------------------------------------

async function main() {
  // The module index.html began compiling; if that failed (a server that does not send
  // `application/wasm`), the glue fetches and instantiates it itself.
  const compiled = await (window.calculatorWasm ?? Promise.reject(new Error('not started'))).catch(() => undefined);
  performance.mark('wasm-compiled');
  await init(compiled ? { module_or_path: compiled } : undefined);
  performance.mark('engine-ready');
  $('version').textContent = ` (runai-gateway ${core.version()})`;
  const controller = controlFor('gateway.controller');
  for (const [name, cls] of core.controllers()) {
    controller.add(new Option(cls ? `${name} (class ${cls})` : `${name} (give the class)`, name));
  }
  // An error slot and a "does not apply" note under every control, referenced for screen readers.
  for (const c of controls()) {
    const p = el('p', { class: 'error', id: errorId(c.dataset.field) });
    p.hidden = true;
    const why = el('p', { class: 'why', id: `w-${c.dataset.field.replaceAll('.', '-')}` });
    why.hidden = true;
    c.closest('.field').append(why, p);
    c.setAttribute('aria-describedby', `${c.getAttribute('aria-describedby') ?? ''} ${why.id} ${p.id}`.trim());
  }
  setupTabs();
  setupActions();
  setupDiagnostics();
  restoreFromHash();
  const edited = () => { keepAddress = false; $('link-problems').hidden = true; };
  // Typing waits for a pause; a choice from a list, or leaving a field (`change`), counts at once.
  $('form').addEventListener('input', (ev) => {
    edited();
    if (ev.target.tagName !== 'SELECT') refreshAfterPause();
  });
  $('form').addEventListener('change', (ev) => { if (ev.target.matches('[data-field]')) refresh(); });
  $('form').addEventListener('submit', (ev) => ev.preventDefault());
  $('show-form').addEventListener('click', showForm);
  $('show-preview').addEventListener('click', showPreview);
  window.addEventListener('hashchange', () => { restoreFromHash(); refresh(); });
  let resized = null;
  window.addEventListener('resize', () => {
    clearTimeout(resized);
    resized = setTimeout(() => { if (measurePlanCols() !== planCols) refresh(); }, 150);
  });
  refresh();
  const first = updates;
  await new Promise((resolve) => {
    const wait = () => (updates > first ? resolve() : setTimeout(wait, 5));
    wait();
  });
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
