import net from 'node:net';

/** An answer read off the socket by hand: whatever the server wrote before it closed. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends bytes exactly as given (no client-side checks or normalisation, unlike fetch or
 * node:http) on a fresh connection and reads until the server closes it. For what depends on
 * the server's HTTP parser: oversized headers, malformed request lines and URLs. `undefined`
 * when the server closed without a word.
 */
export function rawRequest(port: number, request: string | Buffer): Promise<RawAnswer | undefined> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      socket.destroy();
      const data = Buffer.concat(chunks);
      // A server that answers and closes while the request is still arriving may reset the
      // connection after its answer: the answer counts, the reset does not (and a reset with no
      // answer before it is reported as no answer).
      if (err && !data.length && !['ECONNRESET', 'EPIPE'].includes((err as NodeJS.ErrnoException).code ?? '')) return reject(err);
      resolve(data.length ? parse(data) : undefined);
    };
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (err) => finish(err));
    socket.write(request);
  });
}

/** One answer from raw bytes (interim 1xx answers skipped). */
export function parse(data: Buffer): RawAnswer {
  // Interim answers (100 Continue) come first: the final one is what counts.
  while (/^HTTP\/1\.[01] 1\d\d /.test(data.toString('latin1', 0, 16))) {
    const end = data.indexOf('\r\n\r\n');
    if (end < 0) break;
    data = data.subarray(end + 4);
  }
  const text = data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = (end < 0 ? text : text.slice(0, end)).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? NaN);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = end < 0 ? '' : data.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1')).toString('utf8');
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
  return { status, headers, body };
}

function unchunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const i = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, i), 16);
    if (!(size > 0)) return out;
    out += rest.slice(i + 2, i + 2 + size);
    rest = rest.slice(i + 2 + size + 2);
  }
}
