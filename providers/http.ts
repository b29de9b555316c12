/** The HTTP call every provider adapter makes, with one mapping of failures to retryable or final. */

export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    message: string,
    /** false when repeating the call cannot help (invalid token, rejected number). */
    readonly retryable: boolean,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export async function postJson<T>(url: string, body: unknown, opts: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new ProviderError(`${url}: ${String(err)}`, true);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { raw: text };
  }
  if (!res.ok) {
    const code = (json as { error?: { status?: string; code?: string } }).error;
    // 408, 429 and 5xx are worth another try; any other 4xx is the provider's final word.
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
    throw new ProviderError(`${url}: HTTP ${res.status} ${text.slice(0, 200)}`, retryable, res.status, code?.status ?? code?.code);
  }
  return json as T;
}
