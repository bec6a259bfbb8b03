// The calculator's glue: form <-> input object <-> the core (WebAssembly) <-> preview.
// No framework and no network: the only requests are for this page's own files.
import init, * as core from './pkg/runai_gateway_wasm.js';

const $ = (id) => document.getElementById(id);
const controls = () => [...document.querySelectorAll('#form [data-field]')];
const controlFor = (field) => document.querySelector(`#form [data-field="${CSS.escape(field)}"]`);
const errorId = (field) => `e-${field.replaceAll('.', '-')}`;

let latest = null; // the outputs of the last valid input
let updates = 0; // counted on <body data-updates> so tests can wait for the next preview

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
  document.body.dataset.updates = String(++updates);
}

// ---- actions ---------------------------------------------------------------------------------

function say(text) { $('action-status').textContent = text; }

async function copyText(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    say(`Copied ${what}.`);
  } catch {
    say(`Copying is blocked here: select the ${what} and copy it by hand.`);
  }
}

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
  say(`Downloaded ${name}.`);
}

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (tab) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute('aria-controls')).hidden = !on;
    }
  };
  for (const [i, t] of tabs.entries()) {
    t.addEventListener('click', () => select(t));
    t.addEventListener('keydown', (ev) => {
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
      if (to === undefined) return;
      ev.preventDefault();
      const next = tabs[(to + tabs.length) % tabs.length];
      select(next);
      next.focus();
    });
  }
}

function setupActions() {
  $('copy-permalink').addEventListener('click', () => copyText(location.href, 'permalink'));
  $('download-yaml').addEventListener('click', () => latest && download('runai-gateway.yaml', latest.yaml, 'application/yaml'));
  $('download-script').addEventListener('click', () => latest && download('migrate.sh', latest.helm, 'text/x-shellscript'));
  $('download-config').addEventListener('click', () => {
    const text = core.configYaml(readForm().input);
    download('runai-gateway-config.yaml', text, 'application/yaml');
  });
  for (const b of document.querySelectorAll('button.copy')) {
    b.addEventListener('click', () => copyText($(b.dataset.copy).textContent, b.closest('.panel').querySelector('pre').getAttribute('aria-label')));
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
