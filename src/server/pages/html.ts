/**
 * The server-rendered HTML of the evaluation pages: the model index, the shell of one
 * model's page (its summary, readable without JavaScript; page.js draws the charts into
 * it from evaluation.json) and the error pages. Everything that comes from the catalog
 * (model names, targets, source text) is user-chosen, so it goes through escapeHtml.
 */
import type { ModelSummary, ModelVersion } from '../../catalog/model-store.js';

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The path of a model's page: names are SQL identifiers and may hold '/', '?', '#' or spaces. */
export function modelPath(name: string): string {
  return `/models/${encodeURIComponent(name)}`;
}

function layout(title: string, body: string, scripts = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · sqlml</title>
<link rel="stylesheet" href="/assets/page.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
</head>
<body>
${body}
${scripts}</body>
</html>
`;
}

function formatMetric(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

export function renderIndex(models: readonly ModelSummary[]): string {
  const rows = models
    .map(
      (m) => `<tr>
<td><a href="${escapeHtml(modelPath(m.name))}">${escapeHtml(m.name)}</a></td>
<td>${escapeHtml(m.type)}</td>
<td>${escapeHtml(m.target)}</td>
<td class="number">${m.version}</td>
<td class="number">${m.versions}</td>
<td>${m.headline ? `${escapeHtml(m.headline.metric)} ${formatMetric(m.headline.value)}` : '–'}</td>
<td>${escapeHtml(m.createdAt)}</td>
</tr>`,
    )
    .join('\n');
  const body =
    models.length === 0
      ? '<p>No models yet. <code>CREATE MODEL name FROM table PREDICT column;</code> trains one.</p>'
      : `<table class="models">
<thead><tr><th>Model</th><th>Type</th><th>Target</th><th>Active version</th><th>Versions</th><th>Held-out</th><th>Created (UTC)</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
  return layout('models', `<header><h1>Models</h1></header>\n<main>\n${body}\n</main>`);
}

/** Links to every version of the model, the shown one marked; versions are numbered 1.. without gaps. */
function versionLinks(version: ModelVersion, summary: ModelSummary): string {
  const count = Math.max(summary.versions, summary.version, version.version);
  const links: string[] = [];
  for (let v = count; v >= 1; v--) {
    const label = v === summary.version ? `${v} (active)` : String(v);
    links.push(
      v === version.version
        ? `<strong aria-current="page">${label}</strong>`
        : `<a href="${escapeHtml(modelPath(version.name))}?version=${v}">${label}</a>`,
    );
  }
  return links.join(' · ');
}

interface TrainingSummary {
  passes?: number;
  best_pass?: number;
  stopped_early?: boolean;
  rows_trained?: number;
  rows_evaluated?: number;
  seconds?: number;
}

export function renderModelPage(version: ModelVersion, summary: ModelSummary, tokenRequired = false): string {
  const stats = (version.trainingStats ?? {}) as TrainingSummary;
  const passes =
    typeof stats.passes === 'number'
      ? `${stats.passes}${typeof stats.best_pass === 'number' ? ` (best ${stats.best_pass}${stats.stopped_early ? ', stopped early' : ''})` : ''}`
      : '–';
  const count = (n: number | undefined): string => (typeof n === 'number' ? String(n) : '–');
  const source = `${modelPath(version.name)}/evaluation.json?version=${version.version}`;
  const body = `<header>
<nav><a href="/models">Models</a></nav>
<h1>${escapeHtml(version.name)} <span class="badge">${escapeHtml(version.type)}</span></h1>
</header>
<main id="evaluation" data-source="${escapeHtml(source)}" data-task="${escapeHtml(version.type)}" data-model="${escapeHtml(version.name)}" data-activate="${escapeHtml(`${modelPath(version.name)}/activate`)}" data-token-required="${tokenRequired}">
<section class="summary">
<dl>
<dt>Predicts</dt><dd id="target">${escapeHtml(version.target)}</dd>
<dt>Version</dt><dd id="version" data-version="${version.version}">${versionLinks(version, summary)}</dd>
<dt>Created (UTC)</dt><dd id="created">${escapeHtml(version.createdAt)}</dd>
<dt>Passes run</dt><dd id="passes">${escapeHtml(passes)}</dd>
<dt>Rows trained / evaluated</dt><dd>${count(stats.rows_trained)} / ${count(stats.rows_evaluated)}</dd>
<dt>Source</dt><dd><code>${escapeHtml(version.sourceQuery)}</code></dd>
</dl>
</section>
<p id="status" role="status">Loading the evaluation…</p>
</main>`;
  return layout(version.name, body, '<script src="/assets/chart.umd.min.js"></script>\n<script src="/assets/page.js"></script>\n');
}

/** An error page (unknown model, bad version): one sentence naming what is at fault. */
export function renderErrorPage(title: string, message: string): string {
  return layout(title, `<header><nav><a href="/models">Models</a></nav><h1>${escapeHtml(title)}</h1></header>\n<main><p id="error">${escapeHtml(message)}</p></main>`);
}
