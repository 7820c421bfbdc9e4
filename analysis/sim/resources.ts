/** Resource arithmetic shared by the scheduler, the autoscaler and the kubelet model. */
import type { Resources } from '../node-capacity.js';

/** x / cap, with an unbounded capacity counting as empty. */
export const share = (x: number, cap: number): number => (cap === Infinity || cap <= 0 ? 0 : x / cap);

export const fits = (free: Resources & { pods: number }, req: Resources): boolean =>
  free.pods >= 1 && free.cpu + 1e-9 >= req.cpu && free.memory + 1e-3 >= req.memory;
