// URL -> (resource type, namespace, name, subresource), following the apiserver's path layout.
import { resourceFor, type ResourceType, type Subresource } from './resources.ts';

export interface ResourceRoute {
  rt: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: Subresource;
  /** Reached through the legacy `/watch/` path prefix. */
  watchPath: boolean;
}

/** undefined when the path names no served resource (the caller answers 404). */
export function routeResource(pathname: string): ResourceRoute | undefined {
  const seg = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === 'api' && seg.length >= 3) [group, version, rest] = ['', seg[1]!, seg.slice(2)];
  else if (seg[0] === 'apis' && seg.length >= 4) [group, version, rest] = [seg[1]!, seg[2]!, seg.slice(3)];
  else return undefined;

  const watchPath = rest[0] === 'watch';
  if (watchPath) rest = rest.slice(1);

  let namespace: string | undefined;
  let plural: string;
  let name: string | undefined;
  let sub: string | undefined;
  // `/namespaces/x/pods/...` is a namespaced resource; `/namespaces/x/status` is the namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && resourceFor(group, rest[2]!)) {
    if (rest.length > 5) return undefined;
    [namespace, plural, name, sub] = [rest[1], rest[2]!, rest[3], rest[4]];
  } else {
    if (rest.length > 3 || !rest[0]) return undefined;
    [plural, name, sub] = [rest[0], rest[1], rest[2]];
  }
  const rt = resourceFor(group, plural);
  if (!rt || rt.version !== version) return undefined;
  if (namespace !== undefined && !rt.namespaced) return undefined;
  if (sub !== undefined && !rt.subresources.includes(sub as Subresource)) return undefined;
  return {
    rt,
    watchPath,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(sub !== undefined ? { subresource: sub as Subresource } : {}),
  };
}
