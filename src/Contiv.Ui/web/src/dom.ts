// Small DOM helpers: elements built with text content only (never innerHTML from data).

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string | null)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null) e.append(c);
  return e;
}

/** A table with a caption, a header row and rows of cells (strings or nodes). */
export function table(caption: string, headers: string[], rows: (string | Node)[][], id?: string): HTMLTableElement {
  const t = el('table', id ? { id } : {});
  t.append(el('caption', {}, caption));
  t.append(el('thead', {}, el('tr', {}, ...headers.map(h => el('th', { scope: 'col' }, h)))));
  const body = el('tbody');
  for (const r of rows) body.append(el('tr', {}, ...r.map(c => el('td', {}, c))));
  if (rows.length === 0) body.append(el('tr', {}, el('td', { colspan: String(headers.length), class: 'empty' }, '(none)')));
  t.append(body);
  return t;
}

export const clear = (e: Element): void => { while (e.firstChild) e.removeChild(e.firstChild); };

export const errorBox = (message: string): HTMLElement => el('p', { class: 'error', role: 'alert' }, '⚠ ', message);
