import { DemoUsersResponse } from '@org/contracts';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { type SessionStore, SignInError } from '../auth/session.js';
import { roleLabels } from '../format.js';

export function SignIn({ session }: { session: SessionStore }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const demoUsers = useQuery({
    queryKey: ['demo-users'],
    queryFn: async () => {
      const response = await fetch('/api/demo-users');
      if (!response.ok) return { users: [] };
      return DemoUsersResponse.parse(await response.json());
    },
    staleTime: Number.POSITIVE_INFINITY,
  });

  async function signIn(name: string, secret: string) {
    setBusy(true);
    setError(null);
    try {
      await session.signIn(name, secret);
    } catch (caught) {
      setError(caught instanceof SignInError ? caught.message : 'Could not reach the server; try again.');
    } finally {
      setBusy(false);
    }
  }

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void signIn(username, password);
  };

  return (
    <div className="signin">
      <div className="panel signin-card">
        <form className="signin-form" onSubmit={onSubmit} aria-labelledby="signin-title">
          <div className="brand">
            <span className="brand-mark" aria-hidden="true" /> Ops Live
          </div>
          <h1 id="signin-title">Sign in</h1>
          <label className="field">
            Username
            <input
              name="username"
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              required
            />
          </label>
          <label className="field">
            Password
            <input
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          </label>
          {error && (
            <div className="form-error" role="alert">
              {error}
            </div>
          )}
          <button className="button primary" type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        {(demoUsers.data?.users.length ?? 0) > 0 && (
          <aside className="demo-users" aria-labelledby="demo-title">
            <h2 id="demo-title">Demo accounts (password demo1234)</h2>
            <ul>
              {demoUsers.data?.users.map((user) => (
                <li key={user.username}>
                  <button type="button" onClick={() => void signIn(user.username, user.password)} disabled={busy}>
                    {user.displayName} · {user.roles.map((r) => roleLabels[r] ?? r).join(', ')}
                    <small>{user.username}</small>
                  </button>
                </li>
              ))}
            </ul>
          </aside>
        )}
      </div>
    </div>
  );
}
