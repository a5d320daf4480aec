// Policies per pod: the NetworkPolicies that select each pod (Kubernetes), whether its node's agent isolates it and
// with which table (agent contiv/v1/policies), and the ACLs the data plane holds on its TAP with their rules
// (agent scheduler/dump?descriptor=vpp-acl&state=SB, read back from the vSwitch). Everything is text: no colour needed.
import { contiv, k8s } from './api';
import { clear, el, errorBox, table } from './dom';
import type { Cluster, KubeList, KubePolicy, LabelSelector, PodView } from './model';

/** The agent's policy state (docs/policies.md). */
interface AgentPolicies { policies: string[]; isolatedPods: { pod: string; table: string }[]; localTables: { acl: string; pods: string[]; rules: string[] }[]; globalTable: string[]; acls: string[] }

/** An ACL as the scheduler dumps it: protobuf JSON with proto field names; default values (DENY, 0, any) left out. */
interface AclRule { action?: string | number; source_network?: string; destination_network?: string; protocol?: number; src_port_lower?: number; src_port_upper?: number; dst_port_lower?: number; dst_port_upper?: number }
interface Acl { name?: string; rules?: AclRule[]; ingress_interfaces?: string[]; egress_interfaces?: string[] }

const REFLECTION = 'contiv-policy-REFLECTION';

/** Does <selector> (a policy's podSelector) select a pod with <labels>? Empty selector = every pod of the namespace. */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const has = e.key in labels;
    const inValues = has && (e.values ?? []).includes(labels[e.key]);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Kubernetes' default: Ingress always, Egress when the policy has egress rules. */
const policyTypes = (p: KubePolicy): string[] => p.spec?.policyTypes ?? ['Ingress', ...(p.spec?.egress?.length ? ['Egress'] : [])];

const action = (a: AclRule['action']): string =>
  a === 'ACL_ACTION_REFLECT' || a === 2 ? 'permit+reflect' : a === 'ACL_ACTION_PERMIT' || a === 1 ? 'permit' : 'deny';
const protoName = (p?: number): string => (p === 6 ? 'TCP' : p === 17 ? 'UDP' : p === 132 ? 'SCTP' : p === 1 ? 'ICMP' : p ? `proto ${p}` : 'any protocol');
const ports = (lo?: number, hi?: number): string => {
  const l = lo ?? 0;
  const h = hi ?? 0;
  if (l === 0 && (h === 0 || h === 65535)) return 'any';
  return l === h || h === 0 ? String(l) : `${l}-${h}`;
};

/** One rule as a line, e.g. "permit+reflect src 10.1.1.5/32 dst any TCP dport 6379". */
export function ruleText(r: AclRule): string {
  const net = (n?: string): string => (!n || n === '0.0.0.0/0' ? 'any' : n);
  const l4 = r.protocol === 6 || r.protocol === 17 || r.protocol === 132
    ? ` sport ${ports(r.src_port_lower, r.src_port_upper)} dport ${ports(r.dst_port_lower, r.dst_port_upper)}` : '';
  return `${action(r.action)} src ${net(r.source_network)} dst ${net(r.destination_network)} ${protoName(r.protocol)}${l4}`;
}

const lines = (xs: string[]): HTMLElement => el('pre', { class: 'rules' }, xs.length ? xs.join('\n') : '(no rules)');

interface NodePolicies { node: string; agent: AgentPolicies | null; acls: Acl[] | null; error: string | null }

async function loadNode(mgmtIp: string, node: string): Promise<NodePolicies> {
  const [agent, dump] = await Promise.allSettled([
    contiv<AgentPolicies>(mgmtIp, 'contiv/v1/policies'),
    contiv<{ Key?: string; Value?: Acl; key?: string; value?: Acl }[]>(mgmtIp, 'scheduler/dump?descriptor=vpp-acl&state=SB'),
  ]);
  const errors = [agent, dump].filter((r): r is PromiseRejectedResult => r.status === 'rejected').map(r => (r.reason as Error).message);
  return {
    node,
    agent: agent.status === 'fulfilled' ? agent.value : null,
    acls: dump.status === 'fulfilled' ? dump.value.map(kv => kv.Value ?? kv.value ?? {}).filter(a => a.name) : null,
    error: errors.length ? errors.join('; ') : null,
  };
}

function podRow(p: PodView, policies: KubePolicy[], n: NodePolicies | undefined): (string | Node)[] {
  const selecting = policies
    .filter(x => (x.metadata.namespace ?? 'default') === p.namespace && selects(x.spec?.podSelector, p.labels))
    .map(x => `${x.metadata.namespace ?? 'default'}/${x.metadata.name} (${policyTypes(x).join(', ')})`)
    .sort();
  const id = `${p.namespace}/${p.name}`;
  const isolatedBy = n?.agent?.isolatedPods.find(i => i.pod === id)?.table;
  const isolation = !n?.agent ? `unknown (${n?.error ?? 'no agent'})`
    : isolatedBy ? `isolated: table ${isolatedBy}` : p.hostNetwork ? 'host network (no TAP)' : 'not isolated (all traffic allowed)';
  const tap = p.tap?.interface.name;
  const onTap = tap && n?.acls
    ? n.acls.flatMap(a => [
      ...((a.ingress_interfaces ?? []).includes(tap) ? [`${a.name} — inbound (from the pod)`] : []),
      ...((a.egress_interfaces ?? []).includes(tap) ? [`${a.name} — outbound (to the pod)`] : []),
    ])
    : [];
  const policyAcls = tap && n?.acls ? n.acls.filter(a => a.name !== REFLECTION && ((a.egress_interfaces ?? []).includes(tap) || (a.ingress_interfaces ?? []).includes(tap))) : [];
  const rules = policyAcls.length
    ? lines(policyAcls.flatMap(a => [`${a.name}:`, ...(a.rules ?? []).map((r, i) => `  ${i}: ${ruleText(r)}`)]))
    : isolatedBy && n?.agent ? lines(['not in the data plane; the agent wants:', ...(n.agent.localTables.find(t => t.acl === isolatedBy)?.rules ?? [])])
      : '—';
  return [id, `${p.node} · ${p.ip || 'no IP'} · ${tap ?? 'no TAP'}`, selecting.length ? lines(selecting) : 'none',
    isolation, n?.acls ? (onTap.length ? lines(onTap) : 'none') : `unknown (${n?.error ?? 'no agent'})`, rules];
}

export async function renderPolicies(c: Cluster, target: HTMLElement): Promise<void> {
  let policies: KubePolicy[] = [];
  let policyError: string | null = null;
  try { policies = (await k8s<KubeList<KubePolicy>>('apis/networking.k8s.io/v1/networkpolicies')).items; } catch (e) { policyError = (e as Error).message; }
  const nodes = await Promise.all(c.nodes.map(n => loadNode(n.mgmtIp, n.name)));
  const byNode = new Map(nodes.map(n => [n.node, n]));
  // Pods some policy selects first (what an operator comes here for), then the others; each by namespace/name.
  const selected = (p: PodView): boolean => policies.some(x => (x.metadata.namespace ?? 'default') === p.namespace && selects(x.spec?.podSelector, p.labels));
  const pods = c.pods.filter(p => !p.hostNetwork).sort((a, b) => Number(selected(b)) - Number(selected(a)));
  clear(target);
  if (policyError) target.append(errorBox(`network policies: ${policyError}`));
  target.append(
    el('p', { class: 'legend' }, 'A pod\'s Kubernetes ingress is enforced on its TAP\'s outbound side (packets sent to the pod); ',
      `${REFLECTION} on the TAP's inbound side lets replies back in. Rules are listed as the vSwitch holds them, first match wins.`),
    table('Policies per pod', ['pod', 'node · IP · TAP', 'NetworkPolicies selecting it', 'isolation (agent)', 'ACLs on its TAP (vSwitch)', 'rules of its policy ACL (vSwitch)'],
      pods.map(p => podRow(p, policies, byNode.get(p.node))), 'policies-pods'));
  for (const n of nodes) {
    if (n.error) target.append(errorBox(`${n.node}: ${n.error}`));
    if (!n.acls) continue;
    target.append(table(`ACLs in the data plane of ${n.node}`, ['ACL', 'rules (first match wins)', 'applied inbound on', 'applied outbound on'],
      n.acls.map(a => [a.name ?? '', lines((a.rules ?? []).map((r, i) => `${i}: ${ruleText(r)}`)),
        (a.ingress_interfaces ?? []).join(', ') || 'none', (a.egress_interfaces ?? []).join(', ') || 'none']), `acls-${n.node}`));
  }
}
