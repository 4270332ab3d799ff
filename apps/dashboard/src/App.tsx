import { RealtimeProvider } from '@org/realtime-react';
import type { QueryClient } from '@tanstack/react-query';
import { QueryClientProvider } from '@tanstack/react-query';
import { useCallback, useSyncExternalStore } from 'react';
import { Toaster } from 'sonner';
import type { SessionStore } from './auth/session.js';
import { Header } from './components/Header.js';
import { LiveToasts } from './components/LiveToasts.js';
import { AdminPage } from './pages/AdminPage.js';
import { DashboardPage } from './pages/DashboardPage.js';
import { SignIn } from './pages/SignIn.js';
import { usePath } from './router.js';

const tenantNames: Record<string, string> = { 'acme-lending': 'Acme Lending', 'globex-pay': 'Globex Payments' };

export function App({ session, queryClient }: { session: SessionStore; queryClient: QueryClient }) {
  const current = useSyncExternalStore(session.subscribe, session.getSnapshot);
  const path = usePath();
  const getToken = useCallback(
    ({ forceRefresh }: { forceRefresh: boolean }) =>
      (forceRefresh ? session.refresh() : session.getToken()).catch(() => null),
    [session],
  );
  const signOut = useCallback(() => {
    session.signOut();
    queryClient.clear();
  }, [session, queryClient]);

  if (!current) {
    return (
      <QueryClientProvider client={queryClient}>
        <SignIn session={session} />
      </QueryClientProvider>
    );
  }
  const { user } = current;
  return (
    // Keyed by user: a new sign-in gets a new connection and nothing of the last user's cache.
    <RealtimeProvider
      key={`${user.tenantId}/${user.userId}`}
      url={window.location.origin}
      getToken={getToken}
      queryClient={queryClient}
    >
      <Header user={user} tenantName={tenantNames[user.tenantId] ?? user.tenantId} onSignOut={signOut} />
      {path === '/admin' && user.roles.includes('ADMIN') ? (
        <AdminPage user={user} getToken={session.getToken} />
      ) : (
        <DashboardPage user={user} />
      )}
      <LiveToasts />
      <Toaster position="bottom-right" visibleToasts={4} expand={false} richColors />
    </RealtimeProvider>
  );
}
