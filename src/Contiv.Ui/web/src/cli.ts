// The vSwitch CLI console: a command line per node with history (↑/↓), output shown exactly as the CLI prints it.
import { cli } from './api';
import { el } from './dom';
import type { Cluster } from './model';

const history: string[] = [];

export function setupCli(root: HTMLElement, cluster: () => Cluster | null): { refreshNodes: () => void } {
  const select = el('select', { id: 'cli-node', 'aria-label': 'vSwitch' });
  const input = el('input', { id: 'cli-input', type: 'text', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'CLI command', placeholder: 'show interface' });
  const run = el('button', { id: 'cli-run', type: 'submit' }, 'Run');
  const output = el('pre', { id: 'cli-output', 'aria-live': 'polite', tabindex: '0' });
  const form = el('form', { id: 'cli-form', class: 'cli-line' }, el('label', { for: 'cli-node' }, 'vSwitch '), select, el('span', { class: 'prompt' }, ' vpp# '), input, run);
  root.append(form, output);
  let position = 0;
  const refreshNodes = (): void => {
    const c = cluster();
    if (!c) return;
    const chosen = select.value;
    select.replaceChildren(...c.nodes.map(n => el('option', { value: n.mgmtIp }, `${n.name} (${n.mgmtIp})`)));
    if (chosen && c.nodes.some(n => n.mgmtIp === chosen)) select.value = chosen;
  };
  const print = (text: string, cls?: string): void => { output.append(el('span', cls ? { class: cls } : {}, text)); output.scrollTop = output.scrollHeight; };
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const command = input.value.trim();
    if (!command) return;
    if (history[history.length - 1] !== command) history.push(command);
    position = history.length;
    input.value = '';
    const node = select.options[select.selectedIndex]?.text ?? select.value;
    print(`${node} vpp# ${command}\n`, 'echo');
    run.disabled = true;
    cli(select.value, command)
      .then(out => print(out.endsWith('\n') || out.length === 0 ? out : `${out}\n`))
      .catch((e: Error) => print(`error: ${e.message}\n`, 'cli-error'))
      .finally(() => { run.disabled = false; input.focus(); });
  });
  input.addEventListener('keydown', ev => {
    if (ev.key === 'ArrowUp' && position > 0) { position--; input.value = history[position]; ev.preventDefault(); }
    if (ev.key === 'ArrowDown') { position = Math.min(history.length, position + 1); input.value = history[position] ?? ''; ev.preventDefault(); }
  });
  return { refreshNodes };
}
