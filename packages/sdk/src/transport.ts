// How CharterClient puts one request on the wire. The client needs little from HTTP: send a
// method, URL, headers and a body, and get back the status, a header or two and the body text.
// `fetchTransport` does that with the platform's fetch (any runtime); `nodeTransport`
// (@charter/sdk/node) does it with node:http, which a one-shot process such as the CLI starts
// about 0.1 s faster than fetch (fetch compiles its WebAssembly HTTP parser on first use).

export interface TransportRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | Uint8Array | null;
  /** Aborts the request; the transport rejects with the signal's reason or an AbortError. */
  signal: AbortSignal;
}

export interface TransportResponse {
  status: number;
  statusText: string;
  /** One response header by lower-case name, or null. */
  header(name: string): string | null;
  /** The whole body, decoded as UTF-8. */
  text: string;
}

/** Rejects (with any error) when no answer arrived: the client reports it as UNREACHABLE or TIMEOUT. */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/** A transport over a fetch function (the global one unless given). */
export function fetchTransport(fetchFn: typeof fetch = (input, init) => fetch(input, init)): Transport {
  return async (req) => {
    try {
      // Redirects are answers, as with nodeTransport: fetch would follow them, turning a POST into a GET.
      const res = await fetchFn(req.url, { method: req.method, headers: req.headers, body: req.body, signal: req.signal, redirect: 'manual' });
      const text = await res.text();
      return { status: res.status, statusText: res.statusText, header: (name) => res.headers.get(name), text };
    } catch (err) {
      // undici says "fetch failed" and keeps the reason (ECONNREFUSED, a TLS failure) in `cause`.
      const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
      throw cause instanceof Error && !req.signal.aborted ? cause : err;
    }
  };
}
