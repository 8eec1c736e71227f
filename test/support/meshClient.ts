/*
 * A minimal MeshCentral client for end-to-end tests: HTTPS requests that keep the raw status, headers
 * and cookies, and a control.ashx WebSocket session that records userinfo, device groups and the close.
 * The test server uses MeshCentral's self-signed "localhost" certificate, so verification is off here.
 */
import https from 'node:https';
import tls from 'node:tls';
import WebSocket from 'ws';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  setCookies: string[];
}

/** One GET; a new connection each time unless a (keep-alive) agent is given. */
export function httpsGet(
  port: number,
  urlPath: string,
  headers: Record<string, string> = {},
  agent: https.Agent | false = false,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: urlPath, headers, rejectUnauthorized: false, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          setCookies: res.headers['set-cookie'] ?? [],
        }),
      );
    });
    req.on('error', reject);
  });
}

/** The cookie-session content of a response's `xid` cookie (MeshCentral sets `{}` for anonymous visitors). */
export function sessionOf(answer: HttpAnswer): Record<string, unknown> | null {
  const xid = answer.setCookies.map((c) => c.split(';')[0]).find((c) => c.startsWith('xid='));
  if (!xid) return null;
  try {
    return JSON.parse(Buffer.from(xid.slice(4), 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** A Cookie header replaying the response's cookies, when they carry a logged-in session; else null. */
export function loggedInCookie(answer: HttpAnswer): string | null {
  const session = sessionOf(answer);
  if (!session || typeof session.userid !== 'string') return null;
  return answer.setCookies.map((c) => c.split(';')[0]).join('; ');
}

export interface ControlResult {
  userinfo?: { _id: string; name: string; email?: string; siteadmin?: number; links?: Record<string, unknown> };
  meshes?: { _id: string; name: string }[];
  /** The `{action: "close"}` message the server sent before closing, if any. */
  closeMessage?: { cause?: string; msg?: string };
  /** Connection-level failure (HTTP status on upgrade, reset). */
  error?: string;
}

/** Opens control.ashx (or another user WebSocket path), asks for the device groups once userinfo arrives, and closes. */
export function controlSession(
  port: number,
  options: { headers?: Record<string, string>; query?: string; path?: string } = {},
): Promise<ControlResult> {
  return new Promise((resolve) => {
    const result: ControlResult = {};
    const ws = new WebSocket(`wss://127.0.0.1:${port}/${options.path ?? 'control.ashx'}${options.query ? `?${options.query}` : ''}`, {
      headers: options.headers,
      rejectUnauthorized: false,
      maxPayload: 64 * 1024 * 1024,
    });
    const done = (): void => {
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      result.error = result.error ?? 'timeout';
      ws.terminate();
    }, 20_000);
    ws.on('message', (data: WebSocket.RawData) => {
      let message: {
        action?: string;
        userinfo?: ControlResult['userinfo'];
        meshes?: ControlResult['meshes'];
        cause?: string;
        msg?: string;
      };
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (message.action === 'userinfo') {
        result.userinfo = message.userinfo;
        ws.send(JSON.stringify({ action: 'meshes' }));
      } else if (message.action === 'meshes') {
        result.meshes = message.meshes;
        ws.close();
      } else if (message.action === 'close') {
        // MeshCentral pauses the socket while it authenticates, so its close handshake would only end on a
        // 30 s timeout: the close message is the answer, hang up now.
        result.closeMessage = { cause: message.cause, msg: message.msg };
        ws.terminate();
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      result.error = `HTTP ${res.statusCode}`;
      ws.terminate();
    });
    ws.on('error', (error) => {
      result.error = result.error ?? error.message;
    });
    ws.on('close', done);
  });
}

/** A control.ashx session kept open: every JSON message it receives, and a way to wait for one. */
export interface OpenControl {
  messages: Record<string, unknown>[];
  send(message: Record<string, unknown>): void;
  waitFor(match: (message: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): void;
  /** Resolves with the close code when the server closes the socket (rejects after timeoutMs). */
  closed(timeoutMs: number): Promise<{ code: number; messages: Record<string, unknown>[] }>;
}

/** Opens control.ashx and resolves once the server has sent userinfo (rejects if it closes first). */
export function openControl(port: number, headers: Record<string, string>): Promise<OpenControl> {
  return new Promise((resolve, reject) => {
    const messages: Record<string, unknown>[] = [];
    const listeners: (() => void)[] = [];
    let closeCode: number | null = null;
    const closeWaiters: (() => void)[] = [];
    const ws = new WebSocket(`wss://127.0.0.1:${port}/control.ashx`, { headers, rejectUnauthorized: false, maxPayload: 64 * 1024 * 1024 });
    ws.on('close', (code: number) => {
      closeCode = code;
      for (const w of closeWaiters.splice(0)) w();
    });
    const control: OpenControl = {
      messages,
      send: (message) => ws.send(JSON.stringify(message)),
      waitFor: (match, timeoutMs = 10_000) =>
        new Promise((res, rej) => {
          const timer = setTimeout(
            () => rej(new Error(`no matching message within ${timeoutMs} ms; got actions: ${messages.map((m) => m.action).join(', ')}`)),
            timeoutMs,
          );
          const check = (): void => {
            const found = messages.find(match);
            if (found) {
              clearTimeout(timer);
              res(found);
            } else listeners.push(check);
          };
          check();
        }),
      close: () => ws.terminate(),
      closed: (timeoutMs) =>
        new Promise((res, rej) => {
          const timer = setTimeout(() => rej(new Error(`control.ashx still open after ${timeoutMs} ms`)), timeoutMs);
          const check = (): void => {
            if (closeCode !== null) {
              clearTimeout(timer);
              res({ code: closeCode, messages });
            } else closeWaiters.push(check);
          };
          check();
        }),
    };
    ws.on('message', (data: WebSocket.RawData) => {
      try {
        messages.push(JSON.parse(data.toString()) as Record<string, unknown>);
      } catch {
        return;
      }
      if (messages[messages.length - 1].action === 'userinfo') resolve(control);
      for (const l of listeners.splice(0)) l();
    });
    ws.on('error', reject);
    ws.on('close', () => reject(new Error(`control.ashx closed before userinfo: ${JSON.stringify(messages)}`)));
  });
}

/** The status line and raw text of one request written byte for byte over TLS (odd request targets Node's client refuses to send). */
export function rawHttps(port: number, request: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => socket.end(request));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : -1, text });
    });
  });
}

/** One POST of `body` with its content type. */
export function httpsPostBody(
  port: number,
  urlPath: string,
  body: string | Buffer,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method: 'POST',
        rejectUnauthorized: false,
        agent: false,
        headers: { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            setCookies: res.headers['set-cookie'] ?? [],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One POST of an urlencoded form. */
export function httpsPost(
  port: number,
  urlPath: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return httpsPostBody(port, urlPath, new URLSearchParams(form).toString(), 'application/x-www-form-urlencoded', headers);
}
