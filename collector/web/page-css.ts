// The style sheet of the report and the web pages: readable on a phone (tables scroll sideways,
// plots take the width) and printable.

export const PAGE_CSS = `
:root { color-scheme: light; --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --accent: #0072B2; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0; background: #fafbfc; }
header.top { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 18px; align-items: baseline; flex-wrap: wrap; }
header.top a { color: #cfe3ff; text-decoration: none; }
header.top strong { font-size: 17px; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 24px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
p.lead { font-size: 17px; background: #eef5fb; border-left: 4px solid var(--accent); padding: 10px 14px; margin: 12px 0; }
p.meta, .caption, caption { color: var(--muted); font-size: 13px; }
.estimate { display: inline-block; font-size: 12px; background: #fff3cd; color: #6b5200; border-radius: 3px; padding: 0 5px; }
.warn { background: #fff3cd; border-left: 4px solid #E69F00; padding: 8px 12px; margin: 8px 0; }
.ok { color: #00734f; } .bad { color: #b3261e; font-weight: 600; }
section.figure { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 18px; align-items: start; margin: 10px 0 22px; }
section.figure.wide { grid-template-columns: minmax(0, 1fr); }
@media (max-width: 820px) { section.figure { grid-template-columns: minmax(0, 1fr); } main { padding: 10px 10px 30px; } }
.plot { background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: 6px 4px 4px; min-height: 60px; }
.plot h3 { font-size: 14px; margin: 2px 8px 4px; }
.plot noscript, .plot .nojs { color: var(--muted); font-size: 13px; margin: 6px 8px; display: block; }
.tablewrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13.5px; font-variant-numeric: tabular-nums; }
caption { text-align: left; padding: 4px 0; caption-side: top; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: right; }
td { font-size: 13px; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f0f2f6; }
form.compare textarea { width: 100%; min-height: 260px; font: 13px/1.4 ui-monospace, monospace; }
form.compare button { margin-top: 8px; padding: 6px 14px; }
pre.result { background: #fff; border: 1px solid var(--line); padding: 10px; overflow: auto; max-height: 480px; }
.legend-note { font-size: 12px; color: var(--muted); margin: 0 8px; }
@media print { header.top { display: none; } section.figure { break-inside: avoid; } }
`;
