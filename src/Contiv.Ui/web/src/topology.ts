// The topology view: cytoscape.js draws nodes (boxes holding a vSwitch, its host and its pods), VXLAN tunnel ends and
// the tunnels between them. Each kind has its own shape and a text label, so nothing depends on colour.
import cytoscape, { type Core, type ElementDefinition } from 'cytoscape';
import type { Cluster, NodeView, PodView, TunnelEnd } from './model';
import { dataplaneIp, IfType } from './model';
import { contiv } from './api';
import { clear, el, errorBox, table } from './dom';

let cy: Core | null = null;
let current: Cluster | null = null;

const shortTap = (name: string): string => (name.length > 20 ? `${name.slice(0, 19)}…` : name);

export function elements(c: Cluster): ElementDefinition[] {
  const out: ElementDefinition[] = [];
  c.nodes.forEach((n, i) => {
    const x0 = i * 560;
    const vppIp = dataplaneIp(n);
    out.push({ data: { id: `node:${n.name}`, label: `${n.name}  (${n.mgmtIp})${n.ready ? '' : '  NOT READY'}`, kind: 'node', ref: n.name } });
    out.push({
      data: { id: `vswitch:${n.name}`, parent: `node:${n.name}`, kind: 'vswitch', ref: n.name,
        label: `vSwitch ${n.name}\n${vppIp || '?'}${n.ipam ? `\npods ${n.ipam.podSubnetThisNode}` : ''}${n.error ? '\n⚠ agent unreachable' : ''}` },
      position: { x: x0 + 240, y: 230 },
    });
    const host = n.interfaces.find(f => f.interface.name === 'tap-vpp2');
    out.push({
      data: { id: `host:${n.name}`, parent: `node:${n.name}`, kind: 'host', ref: n.name,
        label: `host ${n.name}\nvpp1 ${n.ipam ? n.ipam.vppHostNetwork.replace(/\.0\/24$/, '.2') : ''}` },
      position: { x: x0 + 240, y: 70 },
    });
    out.push({ data: { id: `hostlink:${n.name}`, source: `host:${n.name}`, target: `vswitch:${n.name}`, kind: 'hostlink',
      label: host ? `tap-vpp2 ${host.interface.ip_addresses?.[0] ?? ''}` : 'tap-vpp2' } });
    const pods = c.pods.filter(p => p.node === n.name && !p.hostNetwork);
    pods.forEach((p, j) => {
      const id = `pod:${p.namespace}/${p.name}`;
      out.push({ data: { id, parent: `node:${n.name}`, kind: 'pod', ref: `${p.namespace}/${p.name}`, label: `${p.name}\n${p.ip || p.phase}` },
        position: { x: x0 + 60 + (j % 4) * 120, y: 400 + Math.floor(j / 4) * 90 } });
      out.push({ data: { id: `podlink:${p.namespace}/${p.name}`, source: id, target: `vswitch:${n.name}`, kind: 'podlink',
        label: p.tap ? shortTap(p.tap.interface.name) : '' } });
    });
    const ends = c.tunnels.filter(t => t.node === n.name);
    ends.forEach((t, k) => {
      const id = `tun:${n.name}/${t.name}`;
      const side = i % 2 === 0 ? 1 : -1;
      out.push({ data: { id, parent: `node:${n.name}`, kind: 'tunnel', ref: `${n.name}/${t.name}`, label: `${t.name}\n${t.src} → ${t.dst}` },
        position: { x: x0 + 240 + side * 170, y: 170 + k * 80 } });
      out.push({ data: { id: `tunlink:${n.name}/${t.name}`, source: id, target: `vswitch:${n.name}`, kind: 'tunlink' } });
    });
  });
  // A tunnel: two ends whose addresses mirror each other.
  const seen = new Set<string>();
  for (const a of c.tunnels) {
    const b = c.tunnels.find(t => t.node !== a.node && t.src === a.dst && t.dst === a.src);
    if (!b) continue;
    const key = [`${a.node}/${a.name}`, `${b.node}/${b.name}`].sort().join('|');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ data: { id: `vxlan:${key}`, source: `tun:${a.node}/${a.name}`, target: `tun:${b.node}/${b.name}`, kind: 'vxlan', label: `VXLAN VNI ${a.vni}` } });
  }
  return out;
}

const style: cytoscape.StylesheetJson = [
  { selector: 'node', style: { label: 'data(label)', 'text-wrap': 'wrap', 'font-size': 11, 'text-valign': 'center', 'text-halign': 'center', color: '#111', 'border-width': 2, 'border-color': '#333', 'background-color': '#fff' } },
  { selector: 'node[kind = "node"]', style: { shape: 'round-rectangle', 'text-valign': 'top', 'font-size': 13, 'font-weight': 'bold', 'background-color': '#f3f6fa', 'border-style': 'solid', padding: '18px' } },
  { selector: 'node[kind = "vswitch"]', style: { shape: 'round-rectangle', width: 170, height: 64, 'background-color': '#dbe9ff', 'border-width': 3 } },
  { selector: 'node[kind = "host"]', style: { shape: 'rectangle', width: 150, height: 44, 'border-style': 'dashed', 'background-color': '#eee' } },
  { selector: 'node[kind = "pod"]', style: { shape: 'ellipse', width: 100, height: 52, 'background-color': '#e5f5e0' } },
  { selector: 'node[kind = "tunnel"]', style: { shape: 'diamond', width: 44, height: 44, 'text-valign': 'bottom', 'text-margin-y': 4, 'background-color': '#fde9c8' } },
  { selector: 'edge', style: { width: 2, 'line-color': '#555', label: 'data(label)', 'font-size': 9, 'text-rotation': 'autorotate', 'text-background-color': '#fff', 'text-background-opacity': 0.85, 'curve-style': 'bezier' } },
  { selector: 'edge[kind = "hostlink"]', style: { 'line-style': 'dashed' } },
  { selector: 'edge[kind = "vxlan"]', style: { width: 4, 'line-style': 'dotted', 'font-size': 11, 'font-weight': 'bold' } },
  { selector: ':selected', style: { 'border-width': 5, 'border-style': 'double', 'line-style': 'solid' } },
];

export function render(container: HTMLElement, c: Cluster, details: HTMLElement, list: HTMLElement): void {
  current = c;
  const selected = cy?.$(':selected').id();
  const els = elements(c);
  if (!cy) {
    cy = cytoscape({ container, elements: els, style, layout: { name: 'preset' }, wheelSensitivity: 0.3, minZoom: 0.2, maxZoom: 3, boxSelectionEnabled: false });
    cy.on('tap', 'node, edge', ev => { void showDetails(ev.target.data('kind'), ev.target.data('ref') ?? ev.target.id(), details); });
    (window as unknown as { contivUi: { cy: Core } }).contivUi = { cy };
  } else {
    cy.json({ elements: els });
    const stale = cy.elements().filter(e => !els.some(d => d.data.id === e.id()));
    stale.remove();
  }
  cy.fit(undefined, 24);
  if (selected) cy.getElementById(selected).select();
  renderList(c, list, details);
}

/** The same topology as text (screen readers, keyboard users, tests): every element with its name and addresses. */
function renderList(c: Cluster, list: HTMLElement, details: HTMLElement): void {
  clear(list);
  const button = (text: string, kind: string, ref: string): HTMLButtonElement => {
    const b = el('button', { type: 'button', class: 'linkish', 'data-kind': kind, 'data-ref': ref }, text);
    b.addEventListener('click', () => { void showDetails(kind, ref, details); });
    return b;
  };
  list.append(table('Nodes', ['node', 'management IP', 'vSwitch IP', 'pod subnet', 'state'],
    c.nodes.map(n => [button(n.name, 'vswitch', n.name), n.mgmtIp, dataplaneIp(n), n.ipam?.podSubnetThisNode ?? '', n.error ? `agent: ${n.error}` : n.ready ? 'Ready' : 'NotReady']), 'topology-nodes'));
  list.append(table('Pods', ['pod', 'namespace', 'node', 'IP', 'TAP', 'phase'],
    c.pods.map(p => [button(p.name, 'pod', `${p.namespace}/${p.name}`), p.namespace, p.node, p.ip, p.hostNetwork ? '(host network)' : p.tap?.interface.name ?? '', p.phase]), 'topology-pods'));
  list.append(table('VXLAN tunnel ends', ['node', 'interface', 'source', 'destination', 'VNI', 'link'],
    c.tunnels.map(t => [t.node, button(t.name, 'tunnel', `${t.node}/${t.name}`), t.src, t.dst, String(t.vni), t.up ? 'up' : 'down']), 'topology-tunnels'));
}

const nodeByName = (name: string): NodeView | undefined => current?.nodes.find(n => n.name === name);

async function showDetails(kind: string, ref: string, details: HTMLElement): Promise<void> {
  if (!current) return;
  clear(details);
  details.setAttribute('data-kind', kind);
  details.setAttribute('data-ref', ref);
  if (kind === 'pod') { podDetails(current.pods.find(p => `${p.namespace}/${p.name}` === ref), details); return; }
  if (kind === 'tunnel') { tunnelDetails(current.tunnels.find(t => `${t.node}/${t.name}` === ref), details); return; }
  const nodeName = kind === 'node' || kind === 'vswitch' || kind === 'host' ? ref : ref.split('/')[0];
  const n = nodeByName(nodeName);
  if (n) await vswitchDetails(n, details);
}

function dl(title: string, pairs: [string, string][]): HTMLElement {
  const d = el('dl');
  for (const [k, v] of pairs) d.append(el('dt', {}, k), el('dd', {}, v || '—'));
  return el('section', {}, el('h3', {}, title), d);
}

function podDetails(p: PodView | undefined, details: HTMLElement): void {
  if (!p) { details.append(errorBox('the pod is gone')); return; }
  const tap = p.tap?.interface;
  details.append(el('h2', {}, `Pod ${p.namespace}/${p.name}`), dl('Pod', [
    ['IP', p.ip], ['node', p.node], ['phase', p.phase],
    ['TAP (vSwitch side)', tap?.name ?? (p.hostNetwork ? 'host network: no TAP' : 'not found')],
    ['TAP device', p.tap?.interface_meta.internal_name ?? ''], ['sw_if_index', String(p.tap?.interface_meta.sw_if_index ?? '')],
    ['TAP MAC (vSwitch side)', tap?.phys_address ?? ''], ['MTU', String(tap?.mtu ?? '')], ['VRF', String(tap?.vrf ?? 0)],
    ['unnumbered to', tap?.unnumbered?.interface_with_ip ?? ''], ['pod interface', tap?.tap?.host_if_name ?? ''],
    ['pod namespace', tap?.tap?.to_microservice ?? ''],
  ]));
}

function tunnelDetails(t: TunnelEnd | undefined, details: HTMLElement): void {
  if (!t) { details.append(errorBox('the tunnel is gone')); return; }
  const peer = current?.tunnels.find(o => o.src === t.dst && o.dst === t.src);
  details.append(el('h2', {}, `VXLAN tunnel end ${t.name}`), dl('Tunnel', [
    ['node', t.node], ['source', t.src], ['destination', t.dst], ['VNI', String(t.vni)], ['link', t.up ? 'up' : 'down'],
    ['other end', peer ? `${peer.name} on ${peer.node}` : 'not found'],
  ]));
}

interface RouteEntry { Route: { type?: number; vrf_id?: number; dst_network?: string; next_hop_addr?: string; outgoing_interface?: string; via_vrf_id?: number } }
interface FibEntry { fib: { phys_address?: string; bridge_domain?: string; outgoing_interface?: string; static_config?: boolean; bridged_virtual_interface?: boolean } }
interface BdEntry { bridge_domain: { name?: string; interfaces?: { name: string; bridged_virtual_interface?: boolean; split_horizon_group?: number }[] }; bridge_domain_meta: { bridge_domain_id?: number } }

async function vswitchDetails(n: NodeView, details: HTMLElement): Promise<void> {
  details.append(el('h2', {}, `vSwitch ${n.name}`));
  if (n.error) { details.append(errorBox(n.error)); return; }
  const ip = n.mgmtIp;
  details.append(dl('IPAM', [['node ID', String(n.ipam?.nodeId ?? '')], ['node IP', n.ipam?.nodeIP ?? ''], ['pod subnet', n.ipam?.podSubnetThisNode ?? ''], ['host network', n.ipam?.vppHostNetwork ?? '']]));
  const typeName = (t?: number): string => (t === IfType.Tap ? 'TAP' : t === IfType.Vxlan ? 'VXLAN' : t === IfType.Loopback ? 'loopback' : t === IfType.AfPacket ? 'AF_PACKET' : 'other');
  details.append(table('Interfaces', ['index', 'name', 'type', 'addresses', 'MAC', 'VRF', 'state'],
    n.interfaces.map(i => [String(i.interface_meta.sw_if_index ?? 0), i.interface.name, typeName(i.interface.type),
      (i.interface.ip_addresses ?? []).join(', ') || (i.interface.unnumbered ? `unnumbered → ${i.interface.unnumbered.interface_with_ip}` : ''),
      i.interface.phys_address ?? '', String(i.interface.vrf ?? 0), `${i.interface.enabled ? 'admin up' : 'admin down'}, ${i.interface_meta.is_link_state_up ? 'link up' : 'link down'}`]), 'details-interfaces'));
  details.append(table('ARP', ['interface', 'IP', 'MAC', 'static'], n.arps.map(a => [a.Arp.interface ?? '', a.Arp.ip_address ?? '', a.Arp.phys_address ?? '', a.Arp.static ? 'static' : 'learned']), 'details-arps'));
  const slot = el('div', {}, el('p', {}, 'loading routes, bridge domains and L2 FIB…'));
  details.append(slot);
  try {
    const [routes, bds, fib] = await Promise.all([
      contiv<RouteEntry[]>(ip, 'vpp/dump/v1/routes'), contiv<BdEntry[]>(ip, 'dump/vpp/v2/bd'), contiv<Record<string, FibEntry>>(ip, 'dump/vpp/v2/fib'),
    ]);
    clear(slot);
    const rtype = (t?: number): string => (t === 1 ? 'inter-VRF' : t === 2 ? 'drop' : 'intra-VRF');
    slot.append(table('Routes', ['VRF', 'destination', 'next hop', 'interface', 'type'],
      routes.map(r => [String(r.Route.vrf_id ?? 0), r.Route.dst_network ?? '', r.Route.next_hop_addr ?? '', r.Route.outgoing_interface ?? '',
        r.Route.type === 1 ? `${rtype(r.Route.type)} → VRF ${r.Route.via_vrf_id ?? 0}` : rtype(r.Route.type)]), 'details-routes'));
    slot.append(table('Bridge domains', ['ID', 'name', 'members'],
      bds.map(b => [String(b.bridge_domain_meta.bridge_domain_id ?? 0), b.bridge_domain.name ?? '',
        (b.bridge_domain.interfaces ?? []).map(m => `${m.name}${m.bridged_virtual_interface ? ' (BVI)' : ''}`).join(', ')]), 'details-bds'));
    slot.append(table('L2 FIB', ['MAC', 'bridge domain', 'interface', 'kind'],
      Object.values(fib).map(f => [f.fib.phys_address ?? '', f.fib.bridge_domain ?? '', f.fib.outgoing_interface ?? '',
        `${f.fib.static_config ? 'static' : 'learned'}${f.fib.bridged_virtual_interface ? ', BVI' : ''}`]), 'details-fib'));
  } catch (e) {
    clear(slot);
    slot.append(errorBox((e as Error).message));
  }
}
