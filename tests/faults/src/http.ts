import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import {
  type Audience,
  IDEMPOTENCY_KEY_HEADER,
  type NotificationDraft,
  NotificationsPage,
  PublishEventResponse,
} from '@org/contracts';
import { SERVICE_KEY, sleep } from './env.js';

export type HttpResult = { status: number; body: unknown };

/** One HTTP request to the API; network failures come back as status 0. */
export async function http(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const hasBody = options.body !== undefined || options.raw !== undefined;
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(hasBody && { 'content-type': 'application/json' }),
        ...(options.token && { authorization: `Bearer ${options.token}` }),
        ...options.headers,
      },
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body };
  } catch {
    return { status: 0, body: undefined };
  }
}

export const errorCodeOf = (body: unknown): string | undefined =>
  (body as { error?: { code?: unknown } } | undefined)?.error?.code as string | undefined;

export type PublishedNotification = {
  id: string;
  tenantId: string;
  audience: Audience;
  title: string;
  /** When the API answered 202 (the notification was stored and published by then). */
  acceptedAt: number;
};

export function notificationBody(
  tenantId: string,
  audience: Audience,
  title: string,
  draft: Partial<NotificationDraft> = {},
) {
  return {
    event: 'notification:new',
    tenantId,
    audience,
    data: { severity: 'info', title, body: 'fault suite', ...draft },
  };
}

/**
 * Publishes like an upstream service: retries (bounded) until the API accepts, so notifications
 * submitted while the API is down land once it is back. Returns undefined if never accepted.
 */
export async function publishNotification(
  base: () => string,
  tenantId: string,
  audience: Audience,
  title: string,
  options: { retryUntil?: number } = {},
): Promise<PublishedNotification | undefined> {
  const deadline = options.retryUntil ?? Date.now();
  // One key for every attempt: an attempt whose answer was lost (the node died) is not stored twice.
  const key = randomUUID();
  for (let attempt = 0; ; attempt += 1) {
    const result = await http(base(), 'POST', '/api/events', {
      headers: { 'x-service-key': SERVICE_KEY, [IDEMPOTENCY_KEY_HEADER]: key },
      body: notificationBody(tenantId, audience, title),
    });
    if (result.status === 202) {
      const id = PublishEventResponse.parse(result.body).id;
      if (!id) throw new Error('notification published without an id');
      return { id, tenantId, audience, title, acceptedAt: Date.now() };
    }
    if (result.status !== 0 && result.status < 500)
      throw new Error(`publish refused: ${result.status} ${JSON.stringify(result.body)}`);
    if (Date.now() > deadline) return undefined;
    await sleep(Math.min(1000, 50 * 2 ** attempt));
  }
}

/** Every notification a viewer can see, through the REST API (all pages). */
export async function fetchAllNotifications(base: string, token: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 200; page += 1) {
    const query: string = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : '?limit=100';
    const result = await http(base, 'GET', `/api/notifications${query}`, { token });
    if (result.status !== 200) throw new Error(`GET /api/notifications: ${result.status}`);
    const parsed = NotificationsPage.parse(result.body);
    ids.push(...parsed.items.map((item) => item.id));
    cursor = parsed.nextCursor;
    if (!cursor) return ids;
  }
  throw new Error('too many notification pages');
}

/** Whether a viewer (tenant, user, roles) is in a notification's audience. */
export function isFor(
  n: PublishedNotification,
  who: { tenantId: string; userId: string; roles: readonly string[] },
): boolean {
  if (n.tenantId !== who.tenantId) return false;
  switch (n.audience.kind) {
    case 'tenant':
      return true;
    case 'role':
      return who.roles.includes(n.audience.role);
    case 'user':
      return n.audience.userId === who.userId;
  }
}

/** A JSON POST from a chosen loopback source address (fetch cannot pick one). */
export function postFrom(localAddress: string, url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve) => {
    const payload = JSON.stringify(body);
    const request = httpRequest(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // keep the text
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
      },
    );
    request.on('error', () => resolve({ status: 0, body: undefined }));
    request.end(payload);
  });
}
