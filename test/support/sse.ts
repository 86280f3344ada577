/** A Server-Sent Events client for tests: the events of one stream, parsed, as they arrive. */
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

export interface SseStream {
  status: number;
  headers: Headers;
  /** The next event, or fails after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseEvent>;
  /** Whether an event arrives within `ms` (and takes it). */
  quiet(ms: number): Promise<boolean>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const queue: SseEvent[] = [];
  const waiting: ((e: SseEvent) => void)[] = [];
  let buffer = '';
  if (res.body) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const e: SseEvent = { data: '' };
          let hasData = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const [field, ...rest] = line.split(':');
            const v = rest.join(':').replace(/^ /, '');
            if (field === 'data') {
              e.data += (hasData ? '\n' : '') + v;
              hasData = true;
            } else if (field === 'id') e.id = v;
            else if (field === 'event') e.event = v;
          }
          if (!hasData) continue;
          const w = waiting.shift();
          if (w) w(e);
          else queue.push(e);
        }
      }
    })();
  }
  const next = (timeoutMs = 10_000) => new Promise<SseEvent>((resolve, reject) => {
    const queued = queue.shift();
    if (queued) return resolve(queued);
    const take = (e: SseEvent) => {
      clearTimeout(timer);
      resolve(e);
    };
    const timer = setTimeout(() => {
      waiting.splice(waiting.indexOf(take), 1);
      reject(new Error(`no event within ${timeoutMs} ms`));
    }, timeoutMs);
    waiting.push(take);
  });
  return {
    status: res.status,
    headers: res.headers,
    next,
    async quiet(ms) {
      return next(ms).then(() => false, () => true);
    },
    close: () => abort.abort(),
  };
}
