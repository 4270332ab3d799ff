import type { ActivityType, Role } from '@org/contracts';
import { useNotifications } from '@org/realtime-react';
import { NotificationList } from './NotificationList.js';

const feedByRole: Partial<Record<Role, { type: ActivityType; title: string }>> = {
  UNDERWRITER: { type: 'loan_application', title: 'New applications' },
  COLLECTION_AGENT: { type: 'collection_alert', title: 'Collection alerts' },
  FINANCE_MANAGER: { type: 'compliance_alert', title: 'Compliance alerts' },
  RISK_ANALYST: { type: 'risk_alert', title: 'Risk alerts' },
  SUPPORT_AGENT: { type: 'ticket_assigned', title: 'Ticket assignments' },
};

/** The live work queue of the user's roles: the typed activities its notifications carry. */
export function RoleFeed({ roles }: { roles: readonly Role[] }) {
  const feeds = roles.flatMap((role) => feedByRole[role] ?? []);
  const types = new Set(feeds.map((feed) => feed.type));
  const { notifications, hasNextPage, fetchNextPage, markRead } = useNotifications();
  const items =
    types.size === 0 ? notifications : notifications.filter((n) => n.activity && types.has(n.activity.type));
  const title = feeds.length === 0 ? 'Activity' : feeds.map((feed) => feed.title).join(' · ');
  return (
    <section className="panel" aria-labelledby="role-feed-title" data-testid="role-feed">
      <header>
        <h2 id="role-feed-title">{title}</h2>
        <span className="muted" style={{ fontSize: '0.8rem' }}>
          {items.filter((n) => n.readAt === null).length} new
        </span>
      </header>
      <NotificationList
        notifications={items}
        onMarkRead={(id) => void markRead(id).catch(() => undefined)}
        hasMore={hasNextPage}
        onLoadMore={() => void fetchNextPage()}
        emptyText="Nothing waiting for you. New items appear here as they arrive."
        height={560}
        label={title}
      />
    </section>
  );
}
