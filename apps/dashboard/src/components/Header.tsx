import type { UserProfile } from '@org/contracts';
import { LogOut } from 'lucide-react';
import type { MouseEvent } from 'react';
import { roleLabels } from '../format.js';
import { navigate, usePath } from '../router.js';
import { ConnectionIndicator } from './ConnectionIndicator.js';
import { NotificationCenter } from './NotificationCenter.js';

function NavLink({ to, children }: { to: string; children: string }) {
  const current = usePath() === to;
  const onClick = (event: MouseEvent) => {
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} aria-current={current ? 'page' : undefined}>
      {children}
    </a>
  );
}

export function Header({
  user,
  tenantName,
  onSignOut,
}: {
  user: UserProfile;
  tenantName: string;
  onSignOut: () => void;
}) {
  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        Ops Live
      </div>
      <span className="tenant-name">{tenantName}</span>
      <nav className="nav" aria-label="Main">
        <NavLink to="/">Dashboard</NavLink>
        {user.roles.includes('ADMIN') && <NavLink to="/admin">Admin</NavLink>}
      </nav>
      <div className="header-right">
        <ConnectionIndicator />
        <NotificationCenter />
        <div className="user-chip">
          <strong>{user.displayName}</strong>
          <small>{user.roles.map((role) => roleLabels[role] ?? role).join(', ')}</small>
        </div>
        <button type="button" className="icon-button" onClick={onSignOut} aria-label="Sign out">
          <LogOut size={16} aria-hidden="true" />
        </button>
      </div>
    </header>
  );
}
