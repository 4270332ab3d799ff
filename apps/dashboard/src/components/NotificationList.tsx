import type { Activity, Notification } from '@org/contracts';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import { formatRelative } from '../format.js';

type NotificationListProps = {
  notifications: Notification[];
  onMarkRead?: (id: string) => void;
  hasMore: boolean;
  onLoadMore: () => void;
  emptyText: string;
  /** Height of the scrolling area; the list is virtualised, so long feeds stay smooth. */
  height: number | string;
  label: string;
};

const ESTIMATED_ROW = 86;

export function NotificationList({
  notifications,
  onMarkRead,
  hasMore,
  onLoadMore,
  emptyText,
  height,
  label,
}: NotificationListProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: notifications.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ESTIMATED_ROW,
    overscan: 6,
  });
  if (notifications.length === 0) return <p className="empty">{emptyText}</p>;
  return (
    <div className="feed" ref={scrollRef} style={{ maxHeight: height }}>
      <ul
        aria-label={label}
        style={{ height: virtualizer.getTotalSize(), position: 'relative', margin: 0, padding: 0, listStyle: 'none' }}
      >
        {virtualizer.getVirtualItems().map((row) => {
          const notification = notifications[row.index];
          if (!notification) return null;
          return (
            <li
              key={notification.id}
              data-index={row.index}
              ref={virtualizer.measureElement}
              style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${row.start}px)` }}
            >
              <NotificationRow notification={notification} onMarkRead={onMarkRead} />
            </li>
          );
        })}
      </ul>
      {hasMore && (
        <div style={{ padding: '0.6rem 1rem' }}>
          <button type="button" className="button" onClick={onLoadMore}>
            Load more
          </button>
        </div>
      )}
    </div>
  );
}

function NotificationRow({
  notification,
  onMarkRead,
}: {
  notification: Notification;
  onMarkRead?: ((id: string) => void) | undefined;
}) {
  const unread = notification.readAt === null;
  return (
    <article className={`feed-item${unread ? ' unread' : ''}`} data-notification={notification.id}>
      <span className={`sev ${notification.severity}`} aria-hidden="true" />
      <div className="feed-main">
        <div className="feed-title">
          <span>
            {unread && <span className="sr-only">Unread: </span>}
            {notification.title}
          </span>
          <time dateTime={notification.createdAt}>{formatRelative(notification.createdAt)}</time>
        </div>
        {notification.body && <div className="feed-text">{notification.body}</div>}
        {notification.activity && <div className="feed-text">{describeActivity(notification.activity)}</div>}
        <div className="feed-actions">
          <span className="muted">{notification.severity}</span>
          {notification.action && <a href={notification.action.href}>{notification.action.label}</a>}
          {unread && onMarkRead && (
            <button type="button" className="link-button" onClick={() => onMarkRead(notification.id)}>
              Mark read
            </button>
          )}
        </div>
      </div>
    </article>
  );
}

const money = (m: { amount: number; currency: string }) =>
  new Intl.NumberFormat('en', { style: 'currency', currency: m.currency, maximumFractionDigits: 0 }).format(m.amount);

/** One line of the typed work item a role-specific notification carries. */
export function describeActivity(activity: Activity): string {
  switch (activity.type) {
    case 'loan_application':
      return `${activity.applicationId} · ${activity.product} · ${money(activity.requested)}`;
    case 'collection_alert':
      return `${activity.accountId} · ${activity.daysPastDue} days past due · ${money(activity.amountDue)} due`;
    case 'compliance_alert':
      return `${activity.rule} · ${activity.entity}`;
    case 'risk_alert':
      return `Score ${activity.score} · ${activity.reason}`;
    case 'ticket_assigned':
      return `${activity.ticketId} · ${activity.priority} priority · ${activity.subject}`;
  }
}
