import { type ConfigurationOptions, Observable, type ObservableMiddleware } from '@kubernetes/client-node';

/**
 * client-node 1.4's generated APIs take an AbortSignal only through a request middleware: this one
 * sets `signal` on the request. The object-style API hands `options.middleware` to the observable
 * layer as is, so the middleware returns client-node's Observable (its rxjs stub), as
 * setHeaderMiddleware does. Shared by the cluster observer, the k8s worker launcher and the
 * jetstream2 doctor and pre-scaler.
 */
export function withSignal(signal: AbortSignal): ConfigurationOptions<ObservableMiddleware> {
  return {
    middleware: [
      {
        pre: (ctx) => {
          ctx.setSignal(signal);
          return new Observable(Promise.resolve(ctx));
        },
        post: (res) => new Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/** Per-call options whose signal aborts the call after `timeoutMs`. */
export function withTimeout(timeoutMs: number): ConfigurationOptions<ObservableMiddleware> {
  return withSignal(AbortSignal.timeout(timeoutMs));
}

/** A short text for a failed Kubernetes call: `<status code> <message>`, not the whole response. */
export function kubeErrorText(err: unknown): string {
  const e = err as { code?: unknown; body?: unknown; message?: unknown; name?: unknown };
  if (typeof e?.code === 'number') {
    let message = '';
    try {
      const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : e.body;
      message = (body as { message?: string } | undefined)?.message ?? '';
    } catch {
      message = ''; // a body that is not a Status: the code says enough
    }
    return `HTTP ${e.code}${message ? ` ${message}` : ''}`;
  }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return String(e.message ?? e.name);
  const text = String(e?.message ?? err);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
