import { PROTOCOL_VERSION, type PresenceUpdate } from '@org/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { collect, connectAs, Disposer, makeClient, roundTrip, signToken, startServer, uniqueId } from './helpers.js';

const disposer = new Disposer();
afterEach(() => disposer.dispose());

const summary = (update: PresenceUpdate | undefined) =>
  update?.online.map(({ userId, connections, roles }) => ({ userId, connections, roles }));

describe('presence', () => {
  it('publishes who is online (users, not sockets) to the tenant admins as it changes', async () => {
    const { url, realtime } = await startServer(disposer);
    const tenantId = uniqueId('t');
    const otherTenant = uniqueId('t');
    const admin = await connectAs(disposer, url, { userId: 'adam', tenantId, roles: ['ADMIN'] });
    const updates = collect(admin.socket, ['presence:update']);
    const latest = () => updates.at(-1)?.envelope.data as PresenceUpdate | undefined;
    const otherAdmin = await connectAs(disposer, url, { userId: 'olga', tenantId: otherTenant, roles: ['ADMIN'] });
    const otherUpdates = collect(otherAdmin.socket, ['presence:update']);

    const first = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['UNDERWRITER'] });
    const second = await connectAs(disposer, url, { userId: 'ann', tenantId, roles: ['UNDERWRITER'] });
    await vi.waitFor(() =>
      expect(summary(latest())).toEqual([
        { userId: 'adam', connections: 1, roles: ['ADMIN'] },
        { userId: 'ann', connections: 2, roles: ['UNDERWRITER'] },
      ]),
    );
    expect(latest()?.tenantId).toBe(tenantId);

    first.socket.disconnect();
    await vi.waitFor(() => expect(summary(latest())?.find(({ userId }) => userId === 'ann')?.connections).toBe(1));
    second.socket.disconnect();
    await vi.waitFor(() => expect(summary(latest())).toEqual([{ userId: 'adam', connections: 1, roles: ['ADMIN'] }]));

    // Sequenced like any stream, and nothing about this tenant reached the other one's admins.
    const seqs = updates.map(({ envelope }) => envelope.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    for (const { envelope } of otherUpdates) expect((envelope.data as PresenceUpdate).tenantId).toBe(otherTenant);
    expect(await realtime.presence(tenantId)).toMatchObject({ tenantId, online: [{ userId: 'adam', connections: 1 }] });
  });

  it('does not send presence to non-admins', async () => {
    const { url } = await startServer(disposer);
    const tenantId = uniqueId('t');
    const agent = await connectAs(disposer, url, { userId: 'sue', tenantId, roles: ['SUPPORT_AGENT'] });
    const updates = collect(agent.socket, ['presence:update']);
    const admin = await connectAs(disposer, url, { userId: 'adam', tenantId, roles: ['ADMIN'] });
    const adminUpdates = collect(admin.socket, ['presence:update']);
    await connectAs(disposer, url, { userId: 'bob', tenantId, roles: ['UNDERWRITER'] });
    await vi.waitFor(() => expect(adminUpdates.length).toBeGreaterThan(0));
    await roundTrip(agent.socket);
    expect(updates).toEqual([]);
  });

  it('an admin who connects after changes made while no admin was online gets the current list', async () => {
    const { url } = await startServer(disposer);
    const tenantId = uniqueId('t');
    await connectAs(disposer, url, { userId: 'bob', tenantId, roles: ['UNDERWRITER'] });
    const gone = await connectAs(disposer, url, { userId: 'cy', tenantId, roles: ['UNDERWRITER'] });
    gone.socket.disconnect();
    // Listening before the admin connects: its own connection is what triggers the update.
    const admin = makeClient(disposer, url, {
      token: await signToken({ userId: 'adam', tenantId, roles: ['ADMIN'] }),
      protocol: PROTOCOL_VERSION,
    });
    const updates = collect(admin, ['presence:update']);
    admin.connect();
    await vi.waitFor(() =>
      expect(summary(updates.at(-1)?.envelope.data as PresenceUpdate | undefined)).toEqual([
        { userId: 'adam', connections: 1, roles: ['ADMIN'] },
        { userId: 'bob', connections: 1, roles: ['UNDERWRITER'] },
      ]),
    );
  });
  it('sends the list to an admin who comes back, though it is the list last published (a page reload)', async () => {
    const { url } = await startServer(disposer);
    const tenantId = uniqueId('t');
    await connectAs(disposer, url, { userId: 'bob', tenantId, roles: ['UNDERWRITER'] });
    const token = await signToken({ userId: 'adam', tenantId, roles: ['ADMIN'] });
    const expected = [
      { userId: 'adam', connections: 1, roles: ['ADMIN'] },
      { userId: 'bob', connections: 1, roles: ['UNDERWRITER'] },
    ];
    const first = makeClient(disposer, url, { token, protocol: PROTOCOL_VERSION });
    const firstUpdates = collect(first, ['presence:update']);
    first.connect();
    await vi.waitFor(() =>
      expect(summary(firstUpdates.at(-1)?.envelope.data as PresenceUpdate | undefined)).toEqual(expected),
    );
    // The old page's socket leaves; with no admin left the recount is skipped.
    first.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The reloaded page's socket: who is online is what was last published, and it still hears it.
    const again = makeClient(disposer, url, { token, protocol: PROTOCOL_VERSION });
    const againUpdates = collect(again, ['presence:update']);
    again.connect();
    await vi.waitFor(() =>
      expect(summary(againUpdates.at(-1)?.envelope.data as PresenceUpdate | undefined)).toEqual(expected),
    );
  });
});
