/*
 * One JWT login against a running patched MeshCentral, the way the dashboard's iframe does it:
 * `GET /?token=JWT` must answer 302 with a logged-in session cookie, and control.ashx with
 * `Authorization: Bearer JWT` must send the user's userinfo. MeshCentral's certificate is its own
 * self-signed "localhost" one, so verification is off (loopback only).
 */
import { createHmac, randomBytes } from 'node:crypto';
import https from 'node:https';

/** Who the smoke test logs in as, and the issuer/audience MeshCentral is configured with (when set). */
export interface SmokeClaims {
  sub: string;
  email: string;
  tenant_id: string;
  iss?: string;
  aud?: string;
}

/**
 * A dashboard token: HS256 (or the configured HMAC), the user's sub, tenant_id and email, iss/aud when
 * configured, a fresh jti (URL tokens are one-time), valid 60 s (within any URL-token lifetime limit).
 */
export function signToken(secret: string, claims: SmokeClaims, algorithm: 'HS256' | 'HS384' | 'HS512' = 'HS256'): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const payload = { ...claims, jti: randomBytes(16).toString('hex'), iat: now, exp: now + 60 };
  const unsigned = `${part({ alg: algorithm, typ: 'JWT' })}.${part(payload)}`;
  const signature = createHmac(`sha${algorithm.slice(2)}`, secret)
    .update(unsigned)
    .digest('base64url');
  return `${unsigned}.${signature}`;
}

export interface HttpLogin {
  status: number;
  location?: string;
  /** The `userid` of the session MeshCentral's xid cookie carries, when it carries one. */
  userid?: string;
}

/** `GET /?token=...` on 127.0.0.1:port. */
export function httpTokenLogin(port: number, token: string): Promise<HttpLogin> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', port, path: `/?token=${encodeURIComponent(token)}`, rejectUnauthorized: false, agent: false, timeout: 20_000 },
      (res) => {
        res.resume();
        res.on('end', () => {
          const cookies = res.headers['set-cookie'] ?? [];
          const xid = cookies.map((c) => c.split(';')[0]).find((c) => c.startsWith('xid='));
          let userid: string | undefined;
          try {
            const session = xid ? (JSON.parse(Buffer.from(xid.slice(4), 'base64').toString('utf8')) as { userid?: unknown }) : {};
            if (typeof session.userid === 'string') userid = session.userid;
          } catch {
            userid = undefined;
          }
          resolve({ status: res.statusCode ?? 0, location: res.headers.location, userid });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 20 s')));
    req.on('error', reject);
  });
}

export interface WsLogin {
  userid?: string;
  /** The close MeshCentral sent instead ({cause, msg}), or a connection error. */
  refused?: string;
}

/** control.ashx with `Authorization: Bearer`: resolves with the userinfo's user id, or why it was refused. */
export async function wsBearerLogin(port: number, token: string): Promise<WsLogin> {
  const { default: WebSocket } = await import('ws');
  return new Promise((resolve) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/control.ashx`, {
      headers: { Authorization: `Bearer ${token}` },
      rejectUnauthorized: false,
    });
    let answer: WsLogin | undefined;
    const finish = (value: WsLogin): void => {
      answer ??= value;
      ws.terminate();
    };
    const timer = setTimeout(() => finish({ refused: 'no userinfo within 20 s' }), 20_000);
    ws.on('message', (data) => {
      let message: { action?: string; userinfo?: { _id?: string }; cause?: string; msg?: string };
      try {
        message = JSON.parse(data.toString()) as typeof message;
      } catch {
        return;
      }
      if (message.action === 'userinfo') finish({ userid: message.userinfo?._id });
      // MeshCentral pauses a socket while it authenticates; its close message is the answer
      else if (message.action === 'close') finish({ refused: `closed: cause=${message.cause ?? '?'} msg=${message.msg ?? '?'}` });
    });
    ws.on('unexpected-response', (_req, res) => finish({ refused: `HTTP ${res.statusCode ?? '?'} on upgrade` }));
    ws.on('error', (error) => finish({ refused: error.message }));
    ws.on('close', () => {
      clearTimeout(timer);
      resolve(answer ?? { refused: 'closed before userinfo' });
    });
  });
}
