// Calls to contiv-ui's backend: /api/k8s/<path> (Kubernetes API) and /api/contiv/<path>?vswitch=<ip> (a node's agent).
// Errors carry the backend's message ({"error": "..."}) so the page can show it as it is.

export class ApiError extends Error {}

async function read(url: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(url, { ...init, headers: { Accept: 'application/json', ...(init?.headers ?? {}) } });
  const text = await response.text();
  let body: unknown = text;
  try { body = text.length ? JSON.parse(text) : null; } catch { /* plain text stays text */ }
  if (!response.ok) {
    const message = typeof body === 'object' && body !== null && 'error' in body ? String((body as { error: unknown }).error)
      : typeof body === 'object' && body !== null && 'message' in body ? String((body as { message: unknown }).message)
      : typeof body === 'string' && body.length ? body : response.statusText;
    throw new ApiError(`${response.status}: ${message}`);
  }
  return body;
}

export const k8s = <T>(path: string): Promise<T> => read(`/api/k8s/${path}`) as Promise<T>;

export const contiv = <T>(vswitch: string, path: string): Promise<T> => {
  const sep = path.includes('?') ? '&' : '?';
  return read(`/api/contiv/${path}${sep}vswitch=${encodeURIComponent(vswitch)}`) as Promise<T>;
};

export const cli = async (vswitch: string, command: string): Promise<string> => {
  const body = await read(`/api/contiv/vpp/command?vswitch=${encodeURIComponent(vswitch)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ vppclicommand: command }),
  });
  return typeof body === 'string' ? body : JSON.stringify(body, null, 2);
};

/** Runs contiv-netctl through contiv-crd (POST /api/netctl); its output as printed. */
export const netctl = async (args: string[], master: string): Promise<string> => {
  const body = await read(`/api/netctl?master=${encodeURIComponent(master)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/plain, application/json' },
    body: JSON.stringify(args),
  });
  return typeof body === 'string' ? body : JSON.stringify(body, null, 2);
};
