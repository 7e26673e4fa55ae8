import { Html } from './html.js';

/** The one stylesheet, inline: the pages load nothing from anywhere. Status colours always come with words. */
export const STYLE = Html.trusted(`
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa; --link: #0550ae;
  --ok-fg: #116329; --ok-bg: #dafbe1; --ok-line: #4ac26b;
  --bad-fg: #a40e26; --bad-bg: #ffebe9; --bad-line: #ff8182;
  --warn-fg: #7d4e00; --warn-bg: #fff8c5; --warn-line: #d4a72c;
  --none-fg: #424a53; --none-bg: #eff2f5; --none-line: #afb8c1;
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible, main:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
main:focus:not(:focus-visible) { outline: none; }
code, .mono { font-family: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.88em; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: 0.25rem 0.5rem; }
header.site { border-bottom: 1px solid var(--line); background: var(--panel); }
header.site > div { max-width: 76rem; margin: 0 auto; padding: 0.6rem 1.5rem; display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; align-items: center; }
header.site nav ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.2rem 1rem; }
header.site nav a[aria-current="page"] { font-weight: 700; color: var(--fg); }
header.site .account { margin-left: auto; }
form.signout { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; margin: 0; }
button { font: inherit; padding: 0.3rem 0.8rem; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); color: var(--fg); cursor: pointer; }
button.primary { background: #1f6feb; border-color: #1f6feb; color: #ffffff; font-weight: 600; }
input, select { font: inherit; padding: 0.3rem 0.45rem; border: 1px solid #8c959f; border-radius: 6px; background: var(--bg); color: var(--fg); max-width: 100%; }
form.search { margin: 0.75rem 0 1rem; }
form.search > label { display: block; font-weight: 600; margin-bottom: 0.25rem; }
form.search .row { display: flex; gap: 0.5rem; flex-wrap: wrap; }
form.search input[type="search"] { flex: 1 1 16rem; }
.filters { display: flex; flex-wrap: wrap; gap: 0.5rem 1.25rem; margin-top: 0.6rem; }
form.login { display: grid; gap: 0.4rem; max-width: 32rem; margin: 1rem 0; }
form.login label { font-weight: 600; }
form.action { display: flex; flex-wrap: wrap; gap: 0.4rem 0.6rem; align-items: center; margin: 0 0 0.75rem; }
.actions { border: 1px solid var(--line); border-radius: 8px; padding: 0.9rem 1rem 0.2rem; background: var(--panel); }
.lead { font-size: 1.05rem; max-width: 60rem; }
.count { margin: 0.5rem 0; }
.sunset { color: var(--warn-fg); font-weight: 600; }
dl.diff { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.6rem; font-size: 0.88em; }
dl.diff dt { margin: 0; }
dl.diff dd { margin: 0; overflow-wrap: anywhere; }
del { background: var(--bad-bg); color: var(--bad-fg); }
ins { background: var(--ok-bg); color: var(--ok-fg); text-decoration: none; }
.leaf { font-size: 0.78em; overflow-wrap: anywhere; }
tr.first-failing > * { background: var(--bad-bg); }
.flag { color: var(--bad-fg); font-size: 0.85em; }
tr.contract > th { border-left: 4px solid var(--warn-line); }
section.plan { border: 1px solid var(--line); border-radius: 8px; padding: 0.6rem 0.9rem; margin: 0 0 0.75rem; }
footer.site { border-top: 1px solid var(--line); color: var(--muted); font-size: 0.88rem; }
footer.site > div { max-width: 76rem; margin: 0 auto; padding: 0.8rem 1.5rem; }
header.site .brand { font-weight: 700; color: var(--fg); text-decoration: none; letter-spacing: 0.02em; }
main { max-width: 76rem; margin: 0 auto; padding: 1.25rem 1.5rem 3rem; }
h1 { font-size: 1.7rem; margin: 0.4rem 0 0.2rem; line-height: 1.25; }
h1 .version { color: var(--muted); font-weight: 500; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.6rem; padding-bottom: 0.3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 0 0 0.5rem; display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; }
.subtitle { color: var(--muted); margin: 0 0 1rem; }
.links { display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; margin: 0.5rem 0 1rem; padding: 0; list-style: none; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1.25rem; margin: 0.5rem 0 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.banner { border: 1px solid; border-left-width: 6px; border-radius: 6px; padding: 0.8rem 1rem; margin: 1rem 0 1.25rem; }
.banner p { margin: 0; }
.banner .headline { font-size: 1.15rem; font-weight: 650; overflow-wrap: anywhere; margin: 0; padding: 0; border: 0; }
.banner .more { margin-top: 0.25rem; }
.tone-ok { color: var(--ok-fg); background: var(--ok-bg); border-color: var(--ok-line); }
.tone-bad { color: var(--bad-fg); background: var(--bad-bg); border-color: var(--bad-line); }
.tone-warn { color: var(--warn-fg); background: var(--warn-bg); border-color: var(--warn-line); }
.tone-none { color: var(--none-fg); background: var(--none-bg); border-color: var(--none-line); }
.badge { display: inline-block; white-space: nowrap; border: 1px solid; border-radius: 999px; padding: 0 0.55rem; font-size: 0.82rem; font-weight: 600; line-height: 1.55; }
section.stage { border: 1px solid var(--line); border-left: 6px solid var(--none-line); border-radius: 8px; padding: 0.9rem 1rem 1rem; margin: 0 0 1rem; }
section.stage.revoked { border-color: var(--bad-line); }
section.stage.trusted { border-left-color: var(--ok-line); }
section.stage dl.facts { grid-template-columns: 11rem 1fr; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 0.25rem 0 0.5rem; font-size: 0.93rem; }
caption { text-align: left; color: var(--muted); padding: 0 0 0.3rem; font-size: 0.9rem; }
th, td { text-align: left; vertical-align: top; padding: 0.45rem 0.6rem; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
thead th { background: var(--panel); font-weight: 600; border-bottom: 2px solid var(--line); white-space: nowrap; }
tbody th { font-weight: 500; }
td.status, td.nowrap, .id { white-space: nowrap; overflow-wrap: normal; }
table.checks, table.evidence { table-layout: fixed; min-width: 44rem; }
col.c-req { width: 30%; } col.c-status { width: 8.5rem; } col.c-ev { width: 14rem; }
col.c-id { width: 15rem; } col.c-trust { width: 13rem; } col.c-when { width: 15rem; }
table.evidence tbody + tbody { border-top: 2px solid var(--line); }
table.evidence tr:first-child > * { border-bottom: 0; padding-bottom: 0.2rem; }
table.evidence tr.predicate td { padding-top: 0.1rem; }
table.evidence tr.predicate p { margin: 0 0 0.2rem; font-size: 0.88em; }
ul.reasons { margin-top: 0.3rem; font-size: 0.88em; }
ul.plain { list-style: none; margin: 0; padding: 0; }
ul.plain li + li { margin-top: 0.2rem; }
.muted { color: var(--muted); }
.fields { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 0 0.75rem; font-size: 0.88em; }
.fields dt { color: var(--muted); font-family: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.fields dd { margin: 0; overflow-wrap: anywhere; }
details summary { cursor: pointer; color: var(--link); }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem; overflow: auto; max-height: 24rem; font-size: 0.82rem; white-space: pre-wrap; overflow-wrap: anywhere; }
footer.page { margin-top: 2.5rem; color: var(--muted); font-size: 0.88rem; border-top: 1px solid var(--line); padding-top: 0.6rem; }
nav.pager { margin-top: 1rem; }
@media (max-width: 40rem) {
  dl.facts, section.stage dl.facts { grid-template-columns: 1fr; }
  dl.facts dt { margin-top: 0.4rem; }
  main { padding: 1rem; }
  header.site > div { padding: 0.5rem 1rem; }
  header.site .account { margin-left: 0; }
  dl.diff { grid-template-columns: 1fr; }
  h1 { font-size: 1.4rem; }
}
@media screen and (max-width: 64rem) {
  table.history thead { position: absolute; left: -9999px; }
  table.history, table.history caption, table.history tbody, table.history tr, table.history th, table.history td { display: block; width: auto; }
  table.history tr { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 0.75rem; padding: 0.3rem 0.5rem; }
  table.history th, table.history td { border: 0; padding: 0.15rem 0; white-space: normal; }
  table.history [data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-weight: 500; }
}
@media print {
  header.site, footer.site, .skip, form, nav.pager, ul.links, .actions { display: none; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  .table-wrap { overflow: visible; }
  table, table.checks, table.evidence { min-width: 0; }
  pre { max-height: none; overflow: visible; }
  tr, dl.diff, section.plan { break-inside: avoid; }
  h2 { break-after: avoid; }
  .banner, .badge, del, ins { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
`);
