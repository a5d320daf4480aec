// contiv-ui's page: tabs for the topology, IPAM, Kubernetes objects, Services per vSwitch, policies per pod, the CLI
// console and netctl.
// Live: the backend's /api/events stream (a Kubernetes watch) says what changed; the page re-reads only then.
import { loadCluster, type Cluster } from './model';
import { render } from './topology';
import { renderIpam, renderKube, renderServices } from './tables';
import { setupCli } from './cli';
import { setupNetctl } from './netctl';
import { renderPolicies } from './policies';
import { clear, errorBox } from './dom';

const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;
let cluster: Cluster | null = null;
const views = ['topology', 'ipam', 'kubernetes', 'services', 'policies', 'cli', 'netctl'] as const;
type View = (typeof views)[number];
const paths: Record<string, View> = { '/': 'topology', '/kubernetes/nodes': 'kubernetes', '/bridge-domain': 'topology', '/services': 'services', '/contiv': 'ipam' };
let active: View = (location.hash.slice(1) as View) || paths[location.pathname] || 'topology';
const cliConsole = setupCli($('view-cli'), () => cluster);
setupNetctl($('view-netctl'), () => cluster);

function status(text: string): void { $('status').textContent = text; }

async function refresh(): Promise<void> {
  try {
    cluster = await loadCluster();
    clear($('load-error'));
    status(`${cluster.nodes.length} nodes, ${cluster.pods.length} pods · updated ${cluster.loadedAt.toLocaleTimeString()} · ${live ? 'live' : 'reconnecting…'}`);
  } catch (e) {
    clear($('load-error'));
    $('load-error').append(errorBox(`cannot read the cluster: ${(e as Error).message}`));
    return;
  }
  await show(active);
}

async function show(view: View): Promise<void> {
  active = view;
  for (const v of views) {
    $(`view-${v}`).hidden = v !== view;
    $(`tab-${v}`).setAttribute('aria-selected', String(v === view));
  }
  if (!cluster) return;
  try {
    if (view === 'topology') render($('graph'), cluster, $('details'), $('topology-list'));
    if (view === 'ipam') await renderIpam(cluster, $('ipam-tables'));
    if (view === 'kubernetes') await renderKube($('kube-tables'));
    if (view === 'services') await renderServices(cluster, $('service-tables'));
    if (view === 'policies') await renderPolicies(cluster, $('policy-tables'));
    if (view === 'cli') cliConsole.refreshNodes();
  } catch (e) {
    $('load-error').append(errorBox((e as Error).message));
  }
  document.body.setAttribute('data-rendered', `${view}@${cluster.loadedAt.getTime()}`);
}

for (const v of views) {
  $(`tab-${v}`).addEventListener('click', () => { history.replaceState(null, '', `#${v}`); void show(v); });
}
$('reload').addEventListener('click', () => { void refresh(); });

// Changes arrive in bursts (a pod: ADDED, then MODIFIED several times): one refresh per quiet 300 ms.
let live = false;
let timer: number | undefined;
const events = new EventSource('/api/events');
events.onopen = () => { live = true; void refresh(); };
events.onerror = () => { live = false; status('live feed interrupted: reconnecting…'); };
events.onmessage = ev => {
  const change = JSON.parse(ev.data as string) as { kind: string; type: string; name?: string };
  $('last-change').textContent = `last change: ${change.kind} ${change.name ?? ''} ${change.type}`.trim();
  window.clearTimeout(timer);
  timer = window.setTimeout(() => { void refresh(); }, 300);
};
void refresh();
