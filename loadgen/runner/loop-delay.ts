import type { Sample } from '../../core/metrics.js';

/**
 * The generator's own event-loop delay: a timer due every `everyMs` fires late by however long the
 * loop was busy; each lateness is a `generator.loopDelay` sample. A saturated generator shows here
 * (and in generator.lag) before it shows as slow hub latencies.
 */
export function startLoopDelaySampler(
  emit: (s: Sample) => void,
  now: () => number,
  everyMs = 100,
): () => void {
  let expected = now() + everyMs;
  const timer = setInterval(() => {
    const t = now();
    emit({ kind: 'trend', metric: 'generator.loopDelay', value: Math.max(0, t - expected), t });
    expected = t + everyMs;
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
