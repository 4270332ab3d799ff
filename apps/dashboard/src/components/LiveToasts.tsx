import { useRealtimeEvent } from '@org/realtime-react';
import { toast } from 'sonner';

const AUTO_DISMISS_MS = 6000;

/** New notifications also pop up as toasts; errors and critical ones stay until dismissed. */
export function LiveToasts({ autoDismissMs = AUTO_DISMISS_MS }: { autoDismissMs?: number }) {
  useRealtimeEvent('notification:new', (notification, message) => {
    if (message.envelope.replay) return;
    const sticky = notification.severity === 'error' || notification.severity === 'critical';
    const show =
      notification.severity === 'error' || notification.severity === 'critical'
        ? toast.error
        : notification.severity === 'warning'
          ? toast.warning
          : notification.severity === 'success'
            ? toast.success
            : toast.info;
    const action = notification.action;
    show(notification.title, {
      id: notification.id,
      description: notification.body || undefined,
      duration: sticky ? Number.POSITIVE_INFINITY : autoDismissMs,
      closeButton: true,
      ...(action && {
        action: {
          label: action.label,
          onClick: () => {
            window.location.assign(action.href);
          },
        },
      }),
    });
  });
  return null;
}
