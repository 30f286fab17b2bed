// The header of the collector's web pages: where you are and where else to go.

import { esc } from './html.js';

export type PageName = 'fleet' | 'experiment' | 'compare';

export function nav(active: PageName, note = ''): string {
  const link = (name: PageName, href: string, label: string) =>
    `<a href="${href}"${name === active ? ' aria-current="page"' : ''}>${label}</a>`;
  return `<header class="top"><strong>edgewatt collector</strong>${link('fleet', '/', 'Fleet')}${link('compare', '/compare', 'Compare')}
<form action="/experiments" method="get" style="display:inline"><label>Experiment <input name="id" size="14" required pattern="[A-Za-z0-9._-]{1,64}"></label> <button>open</button></form>
<a href="/metrics">/metrics</a>${note === '' ? '' : `<span>${esc(note)}</span>`}</header>`;
}
