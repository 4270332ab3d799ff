import {
  ApiErrorResponse,
  type LoginResponse,
  LoginResponse as LoginResponseSchema,
  type UserProfile,
} from '@org/contracts';

const STORAGE_KEY = 'ops-live.session';
/** Refresh this long before expiry, so a reconnect never presents a token about to lapse. */
const REFRESH_MARGIN_MS = 60_000;

export class SignInError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Listener = () => void;

/**
 * The signed-in session: token, expiry and profile, kept in sessionStorage so a reload stays
 * signed in but a new tab signs in afresh. Framework-free; React reads it via useSyncExternalStore.
 */
export class SessionStore {
  private session: LoginResponse | null = null;
  private refreshing: Promise<string> | null = null;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly storage: Storage | undefined = globalThis.sessionStorage) {
    const saved = storage?.getItem(STORAGE_KEY);
    if (saved) {
      const parsed = LoginResponseSchema.safeParse(JSON.parse(saved));
      if (parsed.success && parsed.data.expiresAt > Date.now()) this.session = parsed.data;
    }
  }

  subscribe = (listener: Listener) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  get user(): UserProfile | null {
    return this.session?.user ?? null;
  }

  getSnapshot = () => this.session;

  async signIn(username: string, password: string): Promise<UserProfile> {
    const session = await this.post('/api/auth/login', { username, password });
    this.set(session);
    return session.user;
  }

  signOut() {
    this.set(null);
  }

  /** A valid access token, refreshed first when it is close to expiry. */
  getToken = async (): Promise<string> => {
    const session = this.session;
    if (!session) throw new SignInError('UNAUTHORIZED', 'not signed in');
    if (session.expiresAt - Date.now() > REFRESH_MARGIN_MS) return session.accessToken;
    return this.refresh();
  };

  /** Forces a new token (after the server refused the current one). */
  refresh = (): Promise<string> => {
    const session = this.session;
    if (!session) return Promise.reject(new SignInError('UNAUTHORIZED', 'not signed in'));
    this.refreshing ??= this.post('/api/auth/refresh', undefined, session.accessToken)
      .then((next) => {
        this.set(next);
        return next.accessToken;
      })
      .catch((error: unknown) => {
        if (error instanceof SignInError && (error.code === 'UNAUTHORIZED' || error.code === 'TOKEN_EXPIRED')) {
          this.set(null);
        }
        throw error;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  };

  private set(session: LoginResponse | null) {
    this.session = session;
    if (session) this.storage?.setItem(STORAGE_KEY, JSON.stringify(session));
    else this.storage?.removeItem(STORAGE_KEY);
    for (const listener of this.listeners) listener();
  }

  private async post(path: string, body: unknown, token?: string): Promise<LoginResponse> {
    const response = await fetch(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const error = ApiErrorResponse.safeParse(json);
      throw error.success
        ? new SignInError(error.data.error.code, error.data.error.message)
        : new SignInError('UNAVAILABLE', `The server answered ${response.status}`);
    }
    return LoginResponseSchema.parse(json);
  }
}
