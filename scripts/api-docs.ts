// The README's API tables, made from custom-elements.json (`npm run manifest` rewrites both), so the
// documentation is what the element declares: attributes, methods, events, parts and CSS properties.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Described {
  name: string;
  description?: string;
}
interface Declaration extends Described {
  customElement?: boolean;
  tagName?: string;
  attributes?: (Described & { fieldName?: string; type?: { text: string } })[];
  members?: (Described & { kind: string; privacy?: string; parameters?: Described[] })[];
  events?: (Described & { type?: { text: string } })[];
  cssParts?: Described[];
  cssProperties?: Described[];
}
export interface Manifest {
  modules: { declarations: Declaration[] }[];
}

export const START = '<!-- api:start (npm run manifest writes this part from custom-elements.json) -->';
export const END = '<!-- api:end -->';

const cell = (text = ''): string => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** The tables, in Markdown, for the manifest's custom element. */
export function apiReference(manifest: Manifest): string {
  const element = manifest.modules.flatMap((m) => m.declarations).find((d) => d.customElement);
  if (!element) throw new Error('custom-elements.json declares no custom element');
  const methods = (element.members ?? []).filter((m) => m.kind === 'method' && m.privacy !== 'private' && m.privacy !== 'protected');
  return [
    `**Attributes** of \`<${element.tagName}>\` (each also a property, named as in the second column):`,
    '',
    table(['attribute', 'property', 'type', ''], (element.attributes ?? []).map((a) => [`\`${a.name}\``, `\`${a.fieldName ?? a.name}\``, `\`${a.type?.text ?? ''}\``, a.description ?? ''])),
    '',
    '**Methods:**',
    '',
    table(['method', ''], methods.map((m) => [`\`${m.name}(${(m.parameters ?? []).map((p) => p.name).join(', ')})\``, m.description ?? ''])),
    '',
    '**Events** (bubbling and composed, so any ancestor hears them; typed in `HTMLElementEventMap`):',
    '',
    table(['event', 'type', ''], (element.events ?? []).map((e) => [`\`${e.name}\``, `\`${e.type?.text ?? ''}\``, e.description ?? ''])),
    '',
    '**Styling:** `::part(...)` and custom properties.',
    '',
    table(['part', ''], (element.cssParts ?? []).map((p) => [`\`${p.name}\``, p.description ?? ''])),
    '',
    table(['custom property', ''], (element.cssProperties ?? []).map((p) => [`\`${p.name}\``, p.description ?? ''])),
  ].join('\n');
}

/** `readme` with its API part replaced by `reference`. */
export function withReference(readme: string, reference: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} part`);
  return `${readme.slice(0, start + START.length)}\n${reference}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const manifest = JSON.parse(readFileSync('custom-elements.json', 'utf8')) as Manifest;
  writeFileSync('README.md', withReference(readFileSync('README.md', 'utf8'), apiReference(manifest)));
}
