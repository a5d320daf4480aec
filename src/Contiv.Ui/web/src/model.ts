// The cluster as the page shows it, read from the Kubernetes API and every node's agent.
import { contiv, k8s } from './api';

export interface KubeMeta { name: string; namespace?: string; labels?: Record<string, string>; creationTimestamp?: string }
export interface KubeList<T> { items: T[] }
export interface KubeNode { metadata: KubeMeta; status?: { addresses?: { type: string; address: string }[]; conditions?: { type: string; status: string }[] } }
export interface KubePod {
  metadata: KubeMeta;
  spec: { nodeName?: string; hostNetwork?: boolean; containers?: { name: string; ports?: { containerPort: number; protocol?: string }[] }[] };
  status?: { phase?: string; podIP?: string; hostIP?: string };
}
export interface KubeService { metadata: KubeMeta; spec: { type?: string; clusterIP?: string; ports?: { name?: string; port: number; targetPort?: number | string; nodePort?: number; protocol?: string }[]; selector?: Record<string, string> } }
export interface KubeEndpoints { metadata: KubeMeta; subsets?: { addresses?: { ip: string; nodeName?: string; targetRef?: { name: string } }[]; ports?: { name?: string; port: number; protocol?: string }[] }[] }
export interface LabelSelector { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }
export interface KubePolicy { metadata: KubeMeta; spec?: { podSelector?: LabelSelector; policyTypes?: string[]; ingress?: unknown[]; egress?: unknown[] } }

export interface Ipam { nodeId: number; nodeName: string; nodeIP: string; podSubnetThisNode: string; vppHostNetwork: string; config: Record<string, unknown> }
export interface VppInterface {
  name: string; type?: number; enabled?: boolean; phys_address?: string; mtu?: number; vrf?: number; ip_addresses?: string[];
  unnumbered?: { interface_with_ip: string };
  tap?: { host_if_name?: string; to_microservice?: string };
  vxlan?: { src_address?: string; dst_address?: string; vni?: number };
  afpacket?: { host_if_name?: string };
}
export interface VppInterfaceEntry { interface: VppInterface; interface_meta: { sw_if_index?: number; internal_name?: string; is_link_state_up?: boolean } }
export interface ArpEntry { Arp: { interface?: string; ip_address?: string; phys_address?: string; static?: boolean } }

export const IfType = { Loopback: 2, Tap: 5, AfPacket: 6, Vxlan: 7 } as const;

/** One node: its Kubernetes record, its agent's IPAM and interfaces (null when the agent did not answer, with why). */
export interface NodeView {
  name: string;
  mgmtIp: string;
  ready: boolean;
  ipam: Ipam | null;
  interfaces: VppInterfaceEntry[];
  arps: ArpEntry[];
  error: string | null;
}

export interface PodView { name: string; namespace: string; node: string; ip: string; phase: string; hostNetwork: boolean; labels: Record<string, string>; tap: VppInterfaceEntry | null }

export interface TunnelEnd { node: string; name: string; src: string; dst: string; vni: number; up: boolean }

export interface Cluster { nodes: NodeView[]; pods: PodView[]; tunnels: TunnelEnd[]; loadedAt: Date }

export const nodeAddress = (n: KubeNode): string =>
  n.status?.addresses?.find(a => a.type === 'InternalIP')?.address ?? n.status?.addresses?.find(a => a.type === 'ExternalIP')?.address ?? '';

async function loadNode(n: KubeNode): Promise<NodeView> {
  const ip = nodeAddress(n);
  const view: NodeView = {
    name: n.metadata.name, mgmtIp: ip, ready: n.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True') ?? false,
    ipam: null, interfaces: [], arps: [], error: null,
  };
  if (!ip) { view.error = 'the node has no InternalIP/ExternalIP'; return view; }
  try {
    const [ipam, ifs, arps] = await Promise.all([
      contiv<Ipam>(ip, 'contiv/v1/ipam'),
      contiv<Record<string, VppInterfaceEntry>>(ip, 'dump/vpp/v2/interfaces'),
      contiv<ArpEntry[]>(ip, 'dump/vpp/v2/arps'),
    ]);
    view.ipam = ipam;
    view.interfaces = Object.values(ifs);
    view.arps = arps;
  } catch (e) {
    view.error = (e as Error).message;
  }
  return view;
}

export async function loadCluster(): Promise<Cluster> {
  const [nodes, pods] = await Promise.all([k8s<KubeList<KubeNode>>('api/v1/nodes'), k8s<KubeList<KubePod>>('api/v1/pods')]);
  const views = await Promise.all(nodes.items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)).map(loadNode));
  const byNode = new Map(views.map(v => [v.name, v]));
  const podViews: PodView[] = pods.items
    .filter(p => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
    .map(p => {
      const node = byNode.get(p.spec.nodeName ?? '');
      const ip = p.status?.podIP ?? '';
      // The agent keeps a static ARP entry for each pod's IP on the pod's TAP (docs/agent.md): that names the TAP.
      const arp = ip && node ? node.arps.find(a => a.Arp.ip_address === ip && a.Arp.interface?.startsWith('vpp-tap-')) : undefined;
      const tap = arp && node ? node.interfaces.find(i => i.interface.name === arp.Arp.interface) ?? null : null;
      return {
        name: p.metadata.name, namespace: p.metadata.namespace ?? 'default', node: p.spec.nodeName ?? '', ip,
        phase: p.status?.phase ?? 'Pending', hostNetwork: p.spec.hostNetwork ?? false, labels: p.metadata.labels ?? {}, tap,
      };
    })
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const tunnels: TunnelEnd[] = views.flatMap(v => v.interfaces
    .filter(i => i.interface.type === IfType.Vxlan && i.interface.vxlan)
    .map(i => ({
      node: v.name, name: i.interface.name, src: i.interface.vxlan?.src_address ?? '', dst: i.interface.vxlan?.dst_address ?? '',
      vni: i.interface.vxlan?.vni ?? 0, up: i.interface_meta.is_link_state_up ?? false,
    })));
  return { nodes: views, pods: podViews, tunnels, loadedAt: new Date() };
}

/** The data plane (VXLAN source) IP of a node: its main interface's address. */
export const dataplaneIp = (n: NodeView): string => n.ipam?.nodeIP ?? '';
