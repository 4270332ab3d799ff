import { clientEventNames, clientEvents, PROTOCOL_VERSION, serverEventNames, serverEvents } from '@org/contracts';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A human-readable page of the event catalog, generated from the contract. */
export function renderCatalogPage(): string {
  const serverRows = serverEventNames
    .map((name) => {
      const event = serverEvents[name];
      const targets = event.targets.length > 0 ? event.targets.join(', ') : 'one socket';
      return `<tr><td><code>${escapeHtml(name)}</code></td><td>${event.channel}</td><td>${escapeHtml(targets)}</td><td>${escapeHtml(event.description)}${'conflatable' in event ? ' <em>(conflatable)</em>' : ''}</td></tr>`;
    })
    .join('');
  const clientRows = clientEventNames
    .map(
      (name) =>
        `<tr><td><code>${escapeHtml(name)}</code></td><td>${escapeHtml(clientEvents[name].description)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Event catalog</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1f2933}
table{border-collapse:collapse;width:100%;margin-bottom:2rem}td,th{border-bottom:1px solid #e4e7eb;padding:.4rem .6rem;text-align:left;vertical-align:top}
code{background:#f5f7fa;padding:0 .2rem}</style></head><body>
<h1>Event catalog, protocol ${PROTOCOL_VERSION}</h1>
<p>Generated from <code>@org/contracts</code>. Machine-readable: <a href="/api/asyncapi.json">AsyncAPI 3 document</a>.
Every server event arrives as <code>{ id, stream, seq, ts, replay?, data }</code>; every request is answered by
<code>{ ok: true, data } | { ok: false, error: { code, message, issues? } }</code>.</p>
<h2>Server to client</h2><table><tr><th>Event</th><th>Channel</th><th>Sent to</th><th>Meaning</th></tr>${serverRows}</table>
<h2>Client to server (with ack)</h2><table><tr><th>Request</th><th>Meaning</th></tr>${clientRows}</table>
</body></html>`;
}
