// The table views: IPAM per node, Kubernetes objects, Services per vSwitch (the agent's NAT44 mappings).
import { contiv, k8s } from './api';
import { clear, el, errorBox, table } from './dom';
import type { Cluster, KubeEndpoints, KubeList, KubePod, KubePolicy, KubeService } from './model';

interface Allocations { Pods: { PodID: { Name: string; Namespace: string }; MainIP: string }[] }

export async function renderIpam(c: Cluster, target: HTMLElement): Promise<void> {
  const sections = await Promise.all(c.nodes.map(async n => {
    if (!n.ipam) return el('section', {}, el('h3', {}, n.name), errorBox(n.error ?? 'no IPAM'));
    let allocations: Allocations | null = null;
    let error: string | null = null;
    try { allocations = await contiv<Allocations>(n.mgmtIp, 'contiv/v1/ipam/allocations'); } catch (e) { error = (e as Error).message; }
    return el('section', {},
      table(`IPAM of ${n.name}`, ['node ID', 'node IP', 'pod subnet', 'vSwitch–host network', 'pod subnet (cluster)', 'VXLAN CIDR', 'service CIDR'],
        [[String(n.ipam.nodeId), n.ipam.nodeIP, n.ipam.podSubnetThisNode, n.ipam.vppHostNetwork, String(n.ipam.config.podSubnetCIDR ?? ''),
          String(n.ipam.config.vxlanCIDR ?? ''), String(n.ipam.config.serviceCIDR ?? '')]], `ipam-${n.name}`),
      error ? errorBox(error) : table(`Pod IPs allocated on ${n.name}`, ['pod', 'namespace', 'IP'],
        (allocations?.Pods ?? []).map(p => [p.PodID.Name, p.PodID.Namespace, p.MainIP]).sort((a, b) => a[0].localeCompare(b[0])), `ipam-alloc-${n.name}`));
  }));
  clear(target);
  target.append(...sections);
}

const labels = (l?: Record<string, string>): string => Object.entries(l ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');

export async function renderKube(target: HTMLElement): Promise<void> {
  const get = async <T>(path: string): Promise<T[] | string> => { try { return (await k8s<KubeList<T>>(path)).items; } catch (e) { return (e as Error).message; } };
  const [pods, services, endpoints, namespaces, policies] = await Promise.all([
    get<KubePod>('api/v1/pods'), get<KubeService>('api/v1/services'), get<KubeEndpoints>('api/v1/endpoints'),
    get<{ metadata: { name: string; creationTimestamp?: string }; status?: { phase?: string } }>('api/v1/namespaces'),
    get<KubePolicy>('apis/networking.k8s.io/v1/networkpolicies'),
  ]);
  const section = <T>(items: T[] | string, make: (x: T[]) => HTMLElement): HTMLElement => (typeof items === 'string' ? errorBox(items) : make(items));
  clear(target);
  target.append(
    section(pods, p => table('Pods', ['namespace', 'name', 'node', 'IP', 'phase', 'labels'],
      p.map(x => [x.metadata.namespace ?? '', x.metadata.name, x.spec.nodeName ?? '', x.status?.podIP ?? '', x.status?.phase ?? '', labels(x.metadata.labels)]), 'kube-pods')),
    section(services, s => table('Services', ['namespace', 'name', 'type', 'cluster IP', 'ports', 'selector'],
      s.map(x => [x.metadata.namespace ?? '', x.metadata.name, x.spec.type ?? 'ClusterIP', x.spec.clusterIP ?? '',
        (x.spec.ports ?? []).map(p => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'} → ${p.targetPort ?? p.port}`).join(', '), labels(x.spec.selector)]), 'kube-services')),
    section(endpoints, e => table('Endpoints', ['namespace', 'name', 'addresses'],
      e.map(x => [x.metadata.namespace ?? '', x.metadata.name,
        (x.subsets ?? []).flatMap(s => (s.addresses ?? []).flatMap(a => (s.ports ?? [{ port: 0 }]).map(p => `${a.ip}:${p.port}${a.targetRef ? ` (${a.targetRef.name})` : ''}`))).join(', ')]), 'kube-endpoints')),
    section(namespaces, n => table('Namespaces', ['name', 'phase', 'created'], n.map(x => [x.metadata.name, x.status?.phase ?? '', x.metadata.creationTimestamp ?? '']), 'kube-namespaces')),
    section(policies, p => table('Network policies', ['namespace', 'name', 'pod selector', 'types'],
      p.map(x => [x.metadata.namespace ?? '', x.metadata.name, labels(x.spec?.podSelector?.matchLabels) || '(all pods)', (x.spec?.policyTypes ?? []).join(', ')]), 'kube-policies')),
  );
}

interface Dnat { label?: string; st_mappings?: { external_ip?: string; external_port?: number; protocol?: number; local_ips?: { local_ip?: string; local_port?: number; probability?: number; vrf_id?: number }[] }[]; id_mappings?: { ip_address?: string; port?: number; protocol?: number; vrf_id?: number }[] }

const proto = (p?: number): string => (p === 1 ? 'UDP' : p === 2 ? 'ICMP' : 'TCP');

export async function renderServices(c: Cluster, target: HTMLElement): Promise<void> {
  const sections = await Promise.all(c.nodes.map(async n => {
    try {
      const dnat = await contiv<Dnat[]>(n.mgmtIp, 'dump/vpp/v2/nat/dnat');
      const rows = dnat.flatMap(d => (d.st_mappings ?? []).map(m => [d.label ?? '', `${m.external_ip ?? ''}:${m.external_port ?? 0}`, proto(m.protocol),
        (m.local_ips ?? []).map(l => `${l.local_ip ?? ''}:${l.local_port ?? 0}${l.probability ? ` (weight ${l.probability})` : ''}`).join(', ') || '(no ready endpoint)']));
      const ids = dnat.flatMap(d => (d.id_mappings ?? []).map(m => [d.label ?? '', `${m.ip_address ?? ''}${m.port ? `:${m.port}` : ''}`, m.port ? proto(m.protocol) : 'any', `VRF ${m.vrf_id ?? 0}`]));
      return el('section', {},
        table(`Services on vSwitch ${n.name} (NAT44 static mappings)`, ['service', 'frontend', 'protocol', 'backends'], rows, `services-${n.name}`),
        table(`Identity mappings on ${n.name} (left untranslated)`, ['label', 'address', 'protocol', 'VRF'], ids, `identities-${n.name}`));
    } catch (e) {
      return el('section', {}, el('h3', {}, n.name), errorBox((e as Error).message));
    }
  }));
  clear(target);
  target.append(...sections);
}
