// The netctl box: runs contiv-netctl through contiv-crd (POST /api/netctl) — one-click `nodes`, `ipam`, `validate`,
// or any argument line — and shows its output as printed. ?master= names the node contiv-crd runs on: the first node
// (a UI configured with crdEndpoint, as the lab's is, ignores it).
import { netctl } from './api';
import { el } from './dom';
import type { Cluster } from './model';

export function setupNetctl(root: HTMLElement, cluster: () => Cluster | null): void {
  const input = el('input', { id: 'netctl-input', type: 'text', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'contiv-netctl arguments', placeholder: 'pods node1' });
  const run = el('button', { id: 'netctl-run', type: 'submit' }, 'Run');
  const quick = ['nodes', 'ipam', 'validate'].map(c => el('button', { type: 'button', id: `netctl-${c}`, 'data-args': c }, c));
  const output = el('pre', { id: 'netctl-output', 'aria-live': 'polite', tabindex: '0' });
  const form = el('form', { id: 'netctl-form', class: 'cli-line' }, el('span', { class: 'prompt' }, '$ contiv-netctl '), input, run, ...quick);
  root.append(form, el('p', { class: 'legend' }, 'contiv-netctl runs inside contiv-crd (its etcd and agents); the output is shown as printed.'), output);
  const print = (text: string, cls?: string): void => { output.append(el('span', cls ? { class: cls } : {}, text)); output.scrollTop = output.scrollHeight; };
  const buttons = [run, ...quick];
  const exec = (line: string): void => {
    const args = line.trim().split(/\s+/).filter(a => a.length);
    if (!args.length) return;
    const master = cluster()?.nodes[0]?.mgmtIp ?? '';
    print(`$ contiv-netctl ${args.join(' ')}\n`, 'echo');
    for (const b of buttons) b.disabled = true;
    netctl(args, master)
      .then(out => print(out.endsWith('\n') || out.length === 0 ? out : `${out}\n`))
      .catch((e: Error) => print(`error: ${e.message}\n`, 'cli-error'))
      .finally(() => { for (const b of buttons) b.disabled = false; input.focus(); });
  };
  form.addEventListener('submit', ev => { ev.preventDefault(); exec(input.value); input.value = ''; });
  for (const b of quick) b.addEventListener('click', () => exec(b.getAttribute('data-args') ?? ''));
}
