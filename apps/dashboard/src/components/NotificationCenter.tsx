import { useNotifications } from '@org/realtime-react';
import { Bell, X } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import { NotificationList } from './NotificationList.js';

/** The bell with its unread badge, and the drawer with every notification. */
export function NotificationCenter() {
  const [open, setOpen] = useState(false);
  const { notifications, unreadCount, hasNextPage, fetchNextPage, markRead, markAllRead, markReadError } =
    useNotifications();
  const drawerRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    drawerRef.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);

  return (
    <>
      <button
        type="button"
        className="icon-button"
        aria-label={unreadCount > 0 ? `Notifications, ${unreadCount} unread` : 'Notifications'}
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        data-testid="bell"
      >
        <Bell size={18} aria-hidden="true" />
        {unreadCount > 0 && (
          <span className="badge" data-testid="unread-badge">
            {unreadCount > 99 ? '99+' : unreadCount}
          </span>
        )}
      </button>
      {open && (
        <div className="panel drawer" role="dialog" aria-label="Notifications" tabIndex={-1} ref={drawerRef}>
          <header>
            <h2>Notifications</h2>
            <div style={{ display: 'flex', gap: '0.5rem', alignItems: 'center' }}>
              <button
                type="button"
                className="button"
                onClick={() => void markAllRead().catch(() => undefined)}
                disabled={unreadCount === 0}
              >
                Mark all read
              </button>
              <button
                type="button"
                className="icon-button"
                aria-label="Close notifications"
                onClick={() => setOpen(false)}
              >
                <X size={16} aria-hidden="true" />
              </button>
            </div>
          </header>
          {markReadError && (
            <div className="form-error" role="alert" style={{ margin: '0.5rem 1rem' }}>
              {markReadError.message}; your change was undone.
            </div>
          )}
          <NotificationList
            notifications={notifications}
            onMarkRead={(id) => void markRead(id).catch(() => undefined)}
            hasMore={hasNextPage}
            onLoadMore={() => void fetchNextPage()}
            emptyText="You are all caught up."
            height="calc(100vh - 160px)"
            label="All notifications"
          />
        </div>
      )}
    </>
  );
}
