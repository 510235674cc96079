/**
 * The dashboard page: one HTML document with inline CSS and JS, no build
 * step. It polls `api/stats` every `refreshMs` and redraws; the invalidation
 * form posts to `api/invalidate` with the token typed into it. Everything
 * read from Redis is inserted as text, never as HTML.
 */

const STYLE = `
[hidden]{display:none!important}
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 20px;display:flex;gap:16px;align-items:baseline}
header h1{font-size:18px;margin:0}header span{opacity:.75}
main{padding:16px 20px;display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(420px,1fr))}
section{background:#fff;border-radius:6px;padding:12px 16px;box-shadow:0 1px 2px #0002}
section.wide{grid-column:1/-1}h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}th,td{padding:3px 8px;text-align:right;border-bottom:1px solid #eee;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{font-weight:600;color:#555}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{background:#f0f3f8;border-radius:6px;padding:8px 14px;min-width:96px}
.card b{display:block;font-size:20px}.bad{color:#b3261e}.muted{color:#888}
form{display:flex;gap:8px;flex-wrap:wrap;align-items:end}label{display:flex;flex-direction:column;font-size:12px;color:#555}
input,select,button{font:inherit;padding:4px 6px}button{cursor:pointer}
`

const SCRIPT = `
const $ = (s) => document.querySelector(s)
const ms = (v) => v === undefined ? '–' : v < 10 ? v.toFixed(1) + ' ms' : v < 10000 ? Math.round(v) + ' ms' : (v / 1000).toFixed(1) + ' s'
const pct = (v) => v === undefined ? '–' : (v * 100).toFixed(1) + ' %'
const time = (t) => new Date(t).toLocaleTimeString()
function rows(id, items, cells, key) {
  const body = $('#' + id + ' tbody')
  body.replaceChildren(...items.map((item) => {
    const tr = document.createElement('tr')
    if (key) tr.dataset.name = key(item)
    for (const [col, value, cls] of cells(item)) {
      const td = document.createElement('td')
      td.dataset.col = col
      td.textContent = String(value)
      if (cls) td.className = cls
      tr.append(td)
    }
    return tr
  }))
  $('#' + id).dataset.count = String(items.length)
}
function cards(t) {
  const items = [['hit', t.hit], ['stale', t.stale], ['miss', t.miss], ['hit ratio', pct(t.hitRatio)], ['refreshes', t.refreshes],
    ['refresh failures', t.refreshFailures, t.refreshFailures > 0], ['refresh p50', ms(t.refreshP50Ms)], ['refresh p99', ms(t.refreshP99Ms)]]
  $('#totals').replaceChildren(...items.map(([label, value, bad]) => {
    const div = document.createElement('div'); div.className = 'card'; div.dataset.col = label
    const b = document.createElement('b'); b.textContent = String(value); if (bad) b.className = 'bad'
    div.append(b, label); return div
  }))
}
function draw(s) {
  $('#namespace').textContent = s.namespace
  $('#updated').textContent = 'updated ' + time(s.at) + ', ' + s.processes.length + ' processes'
  cards(s.totals)
  rows('reads', s.names, (n) => [['name', n.name], ['hit', n.hit], ['stale', n.stale], ['miss', n.miss], ['ratio', pct(n.hitRatio)], ['fetches', n.fetches],
    ['fetchFailures', n.fetchFailures, n.fetchFailures ? 'bad' : ''], ['refreshes', n.refreshes], ['refreshFailures', n.refreshFailures, n.refreshFailures ? 'bad' : ''],
    ['p50', ms(n.refreshP50Ms)], ['p99', ms(n.refreshP99Ms)]], (n) => n.name)
  rows('queues', s.queues, (q) => [['name', q.name], ['waiting', q.waiting], ['active', q.active], ['failed', q.failed, q.failed ? 'bad' : ''], ['delayed', q.delayed]], (q) => q.name)
  rows('processes', s.processes, (p) => [['id', p.id], ['role', p.role], ['queue', p.queue || ''], ['up', time(p.startedAt)], ['seen', Math.max(0, Math.round((s.at - p.publishedAt) / 1000)) + ' s ago']], (p) => p.id)
  const counts = (o) => Object.entries(o).sort((a, b) => b[1] - a[1])
  rows('storeErrors', counts(s.storeErrors), ([code, n]) => [['code', code], ['count', n, 'bad']], ([code]) => code)
  rows('invalidations', counts(s.invalidations), ([kind, n]) => [['kind', kind], ['count', n]], ([kind]) => kind)
  rows('errors', s.recentErrors, (e) => [['at', time(e.at)], ['code', e.code, 'bad'], ['type', e.type], ['name', e.name || ''], ['message', e.message || ''], ['process', e.process || '']])
  const form = $('#invalidate')
  form.hidden = !s.invalidation.enabled
  $('#invalidate-off').hidden = s.invalidation.enabled
}
async function poll() {
  try {
    const response = await fetch('api/stats', { cache: 'no-store' })
    if (!response.ok) throw new Error(response.status + ' ' + (await response.text()))
    draw(await response.json())
    $('#status').textContent = ''
  } catch (error) {
    $('#status').textContent = 'cannot read figures: ' + error.message
  }
}
function showFields() {
  const kind = $('#kind').value
  for (const el of document.querySelectorAll('[data-kind]')) el.hidden = !el.dataset.kind.split(' ').includes(kind)
}
async function submit(event) {
  event.preventDefault()
  const data = Object.fromEntries(new FormData(event.target))
  const token = data.token; delete data.token
  const response = await fetch('api/invalidate', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify(data) })
  const body = await response.json().catch(() => ({}))
  $('#result').textContent = response.ok ? 'invalidated (' + data.mode + '): ' + (body.count ?? '?') + ' entries' : 'refused: ' + response.status + ' ' + (body.error || '')
  $('#result').className = response.ok ? '' : 'bad'
  poll()
}
$('#kind').addEventListener('change', showFields)
$('#invalidate').addEventListener('submit', submit)
showFields()
poll()
setInterval(poll, REFRESH_MS)
`

function table(id: string, title: string, columns: string[], wide = false): string {
  return `<section${wide ? ' class="wide"' : ''}><h2>${title}</h2><table id="${id}"><thead><tr>${columns.map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody></tbody></table></section>`
}

const FORM = `<section class="wide"><h2>Invalidate</h2>
<p id="invalidate-off" class="muted">Invalidation is off: start the dashboard with a token (<code>--dashboard-token</code>) to turn it on.</p>
<form id="invalidate" hidden>
<label>by<select id="kind" name="kind"><option value="entity">entity</option><option value="field">field</option><option value="tag">tag</option></select></label>
<label data-kind="entity">type<input name="type" placeholder="User"></label>
<label data-kind="entity field">id<input name="id" placeholder="ann (field: parent id, optional)"></label>
<label data-kind="field">coordinate<input name="coordinate" placeholder="User.tweets"></label>
<label data-kind="tag">tag<input name="tag" placeholder="tweets:ann"></label>
<label>mode<select name="mode"><option value="stale">stale (serve once, refresh)</option><option value="purge">purge (next read misses)</option></select></label>
<label>token<input name="token" type="password" autocomplete="off"></label>
<button type="submit">Invalidate</button><span id="result"></span>
</form></section>`

/** The page; `refreshMs`: ms between reloads of the figures. */
export function dashboardPage(refreshMs: number): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>cacheback dashboard</title><style>${STYLE}</style></head>
<body><header><h1>cacheback · <span id="namespace"></span></h1><span id="updated">loading…</span><span id="status" class="bad"></span></header>
<main>
<section class="wide"><h2>All reads</h2><div class="cards" id="totals"></div></section>
${table('reads', 'Reads and refreshes per field and job', ['field / job', 'hit', 'stale', 'miss', 'hit %', 'fetches', 'fetch failures', 'refreshes', 'refresh failures', 'refresh p50', 'refresh p99'], true)}
${table('queues', 'Refresh queues', ['queue', 'waiting', 'active', 'failed', 'delayed'])}
${table('processes', 'Processes', ['id', 'role', 'queue', 'up since', 'last seen'])}
${table('storeErrors', 'Store errors', ['code', 'count'])}
${table('invalidations', 'Invalidations', ['kind', 'count'])}
${table('errors', 'Recent errors', ['time', 'code', 'event', 'field / job', 'message', 'process'], true)}
${FORM}
</main>
<script>const REFRESH_MS = ${Math.max(250, Math.round(refreshMs))};${SCRIPT}</script>
</body></html>`
}
