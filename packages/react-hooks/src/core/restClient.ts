import {
  AlertAcknowledged,
  AlertsResponse,
  ApiErrorResponse,
  DashboardSnapshot,
  KpiSnapshot,
  type LoginRequest,
  LoginResponse,
  type Module,
  NotificationsPage,
  NotificationsRead,
  UnreadCountResponse,
  UserProfile,
} from '@org/contracts';
import type { z } from 'zod';
import { RealtimeRequestError } from './errors.js';

/** Supplies the bearer token; `forceRefresh` asks for a new one because the last was refused. */
export type GetToken = (options: {
  forceRefresh: boolean;
}) => string | null | undefined | Promise<string | null | undefined>;

export interface RestClientOptions {
  /** Origin (and optional prefix) of the API, e.g. `https://ops.example.com`; `''` for same origin. */
  baseUrl: string;
  getToken: GetToken;
  /** The fetch to use; the global one by default. */
  fetch?: typeof fetch;
}

/** Typed access to the REST snapshots and commands of the reference API; every response is parsed by its contract DTO. */
export class RestClient {
  readonly #baseUrl: string;
  readonly #getToken: GetToken;
  readonly #fetch: typeof fetch;

  constructor(options: RestClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#getToken = options.getToken;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** `POST /api/auth/login`: signs in (no token needed). */
  login(credentials: LoginRequest): Promise<LoginResponse> {
    return this.#request('POST', '/api/auth/login', LoginResponse, { body: credentials, token: null });
  }

  /** `POST /api/auth/refresh`: trades a still-valid token for a fresh one. */
  refresh(token: string): Promise<LoginResponse> {
    return this.#request('POST', '/api/auth/refresh', LoginResponse, { token });
  }

  me(signal?: AbortSignal): Promise<UserProfile> {
    return this.#request('GET', '/api/me', UserProfile, { signal });
  }

  kpis(module: Module, signal?: AbortSignal): Promise<KpiSnapshot> {
    return this.#request('GET', `/api/kpis?module=${encodeURIComponent(module)}`, KpiSnapshot, { signal });
  }

  dashboard(signal?: AbortSignal): Promise<DashboardSnapshot> {
    return this.#request('GET', '/api/dashboard', DashboardSnapshot, { signal });
  }

  alerts(limit: number, signal?: AbortSignal): Promise<AlertsResponse> {
    return this.#request('GET', `/api/alerts?limit=${limit}`, AlertsResponse, { signal });
  }

  acknowledgeAlert(id: string): Promise<AlertAcknowledged> {
    return this.#request('POST', `/api/alerts/${encodeURIComponent(id)}/ack`, AlertAcknowledged);
  }

  notifications(page: { cursor?: string | null; limit: number }, signal?: AbortSignal): Promise<NotificationsPage> {
    const query = new URLSearchParams({ limit: String(page.limit) });
    if (page.cursor) query.set('cursor', page.cursor);
    return this.#request('GET', `/api/notifications?${query}`, NotificationsPage, { signal });
  }

  unreadCount(signal?: AbortSignal): Promise<UnreadCountResponse> {
    return this.#request('GET', '/api/notifications/unread-count', UnreadCountResponse, { signal });
  }

  markRead(id: string): Promise<NotificationsRead> {
    return this.#request('POST', `/api/notifications/${encodeURIComponent(id)}/read`, NotificationsRead);
  }

  markAllRead(): Promise<NotificationsRead> {
    return this.#request('POST', '/api/notifications/read-all', NotificationsRead);
  }

  async #request<TSchema extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: TSchema,
    options: { signal?: AbortSignal | undefined; body?: unknown; token?: string | null } = {},
  ): Promise<z.infer<TSchema>> {
    let response = await this.#send(method, path, false, options);
    // A refused token gets one refresh, as on the socket; not when the caller chose the token.
    if (response.status === 401 && options.token === undefined)
      response = await this.#send(method, path, true, options);
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const parsed = ApiErrorResponse.safeParse(body);
      throw new RealtimeRequestError(
        `${method} ${path}`,
        parsed.success ? parsed.data.error : { code: codeForStatus(response.status), message: response.statusText },
        response.status,
      );
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new RealtimeRequestError(`${method} ${path}`, {
        code: 'INTERNAL',
        message: `The response does not match the contract: ${parsed.error.message}`,
      });
    }
    return parsed.data;
  }

  async #send(
    method: string,
    path: string,
    forceRefresh: boolean,
    options: { signal?: AbortSignal | undefined; body?: unknown; token?: string | null },
  ): Promise<Response> {
    const token = options.token === undefined ? await this.#getToken({ forceRefresh }) : options.token;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (method === 'POST') headers['content-type'] = 'application/json';
    const { signal } = options;
    try {
      return await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        headers,
        // Snapshots are compared with live positions: a cached (heuristically fresh) one would lie.
        cache: 'no-store',
        ...(method === 'POST' ? { body: JSON.stringify(options.body ?? {}) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new RealtimeRequestError(`${method} ${path}`, {
        code: 'UNAVAILABLE',
        message: error instanceof Error ? error.message : 'network error',
      });
    }
  }
}

function codeForStatus(status: number) {
  if (status === 401) return 'UNAUTHORIZED' as const;
  if (status === 403) return 'FORBIDDEN' as const;
  if (status === 404) return 'NOT_FOUND' as const;
  if (status === 409) return 'CONFLICT' as const;
  if (status === 413) return 'PAYLOAD_TOO_LARGE' as const;
  if (status === 429) return 'RATE_LIMITED' as const;
  if (status === 400 || status === 422) return 'INVALID_PAYLOAD' as const;
  if (status === 503) return 'UNAVAILABLE' as const;
  return 'INTERNAL' as const;
}
