// The one reading of "is this node Ready" shared by the scheduler, graceful pod deletion and the lifecycle controller.
import type { KObject } from './types.ts';

export function readyCondition(node: KObject | undefined): { status?: string; lastHeartbeatTime?: string } | undefined {
  return (node?.status?.conditions as { type: string; status?: string; lastHeartbeatTime?: string }[] | undefined)?.find((c) => c.type === 'Ready');
}

export const isNodeReady = (node: KObject | undefined): boolean => readyCondition(node)?.status === 'True';
