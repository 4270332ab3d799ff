import { describe, expect, it } from 'vitest';
import {
  allowsTarget,
  clientAckSchema,
  clientEventNames,
  clientEvents,
  roomForTarget,
  serverEnvelopeSchema,
  serverEventNames,
  serverEvents,
  streamName,
} from './catalog.js';
import { ErrorCode } from './errors.js';
import { canAccessModule, modulesForRoles } from './policy.js';
import { PublishEventRequest } from './rest.js';
import { parseRoom, rooms } from './rooms.js';

const kpi = {
  key: 'approval_rate',
  module: 'lending',
  label: 'Approval rate',
  value: 0.62,
  unit: 'percent',
  change: 0.01,
  updatedAt: '2026-11-25T10:00:00.000Z',
} as const;

describe('server events', () => {
  it('accept a well-formed envelope', () => {
    const envelope = {
      id: 'evt_1',
      stream: 'kpi@tenant:acme:module:lending',
      seq: 1,
      ts: Date.now(),
      data: { tenantId: 'acme', module: 'lending', kpis: [kpi] },
    };
    expect(serverEnvelopeSchema('kpi:update').parse(envelope)).toEqual(envelope);
  });

  it('reject a payload of the wrong shape with issues that name the path', () => {
    const result = serverEnvelopeSchema('kpi:update').safeParse({
      id: 'evt_1',
      stream: 's',
      seq: -1,
      ts: 0,
      data: { tenantId: 'acme', module: 'mortgages', kpis: [] },
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['seq', 'data.module', 'data.kpis']));
  });

  it('each declare a channel and targets that exist', () => {
    for (const name of serverEventNames) {
      expect(serverEvents[name].description.length).toBeGreaterThan(0);
      if (serverEvents[name].channel === 'session') expect(serverEvents[name].targets).toEqual([]);
    }
    expect(allowsTarget('kpi:update', { kind: 'module', tenantId: 'acme', module: 'risk' })).toBe(true);
    expect(allowsTarget('kpi:update', { kind: 'system' })).toBe(false);
    expect(allowsTarget('alert:new', { kind: 'system' })).toBe(true);
  });
});

describe('client requests', () => {
  it('reject unknown keys, including prototype-pollution keys', () => {
    const request = clientEvents['kpi:subscribe'].request;
    expect(request.safeParse({ module: 'risk' }).success).toBe(true);
    expect(request.safeParse({ module: 'risk', extra: 1 }).success).toBe(false);
    expect(request.safeParse(JSON.parse('{"module":"risk","__proto__":{"admin":true}}')).success).toBe(false);
  });

  it('have ack schemas that carry a code from the closed enum', () => {
    for (const name of clientEventNames) {
      const ack = clientAckSchema(name);
      expect(ack.safeParse({ ok: false, error: { code: 'FORBIDDEN', message: 'no' } }).success).toBe(true);
      expect(ack.safeParse({ ok: false, error: { code: 'TEAPOT', message: 'no' } }).success).toBe(false);
    }
    expect(ErrorCode.options).toContain('RATE_LIMITED');
  });
});

describe('rooms', () => {
  it('name streams per channel and target room', () => {
    expect(streamName('kpi', roomForTarget({ kind: 'module', tenantId: 'acme', module: 'risk' }))).toBe(
      'kpi@tenant:acme:module:risk',
    );
    expect(roomForTarget({ kind: 'system' })).toBe('system');
    expect(roomForTarget({ kind: 'user', tenantId: 'acme', userId: 'u1' })).toBe('tenant:acme:user:u1');
  });

  it('round-trip through parseRoom', () => {
    expect(parseRoom(rooms.user('acme', 'u-1'))).toEqual({ kind: 'user', tenantId: 'acme', userId: 'u-1' });
    expect(parseRoom(rooms.module('acme', 'risk'))).toEqual({ kind: 'module', tenantId: 'acme', module: 'risk' });
    expect(parseRoom(rooms.role('acme', 'ADMIN'))).toEqual({ kind: 'role', tenantId: 'acme', role: 'ADMIN' });
    expect(parseRoom(rooms.dashboard('acme', 'RISK_ANALYST'))).toEqual({
      kind: 'dashboard',
      tenantId: 'acme',
      role: 'RISK_ANALYST',
    });
    expect(parseRoom(rooms.tenant('acme'))).toEqual({ kind: 'tenant', tenantId: 'acme' });
    expect(parseRoom('system')).toEqual({ kind: 'system' });
    expect(parseRoom('lobby')).toBeUndefined();
    expect(parseRoom('tenant:acme:user')).toBeUndefined();
  });
});

describe('module policy', () => {
  it('gives admins every module and others only theirs', () => {
    expect(modulesForRoles(['ADMIN'])).toHaveLength(6);
    expect(modulesForRoles(['UNDERWRITER'])).toEqual(['lending', 'risk']);
    expect(canAccessModule(['SUPPORT_AGENT'], 'risk')).toBe(false);
    expect(canAccessModule(['SUPPORT_AGENT', 'RISK_ANALYST'], 'risk')).toBe(true);
  });
});

describe('POST /api/events body', () => {
  it('accepts each publishable event and derives no target it does not belong to', () => {
    const body = {
      event: 'notification:new',
      tenantId: 'acme',
      audience: { kind: 'role', role: 'UNDERWRITER' },
      data: { severity: 'info', title: 'New application', body: 'A-1 needs review' },
    };
    expect(PublishEventRequest.parse(body)).toEqual(body);
    expect(PublishEventRequest.safeParse({ ...body, event: 'session:ready' }).success).toBe(false);
    expect(PublishEventRequest.safeParse({ ...body, audience: { kind: 'role', role: 'CEO' } }).success).toBe(false);
  });

  it('refuses action links that could run script', () => {
    const body = {
      event: 'notification:new',
      tenantId: 'acme',
      audience: { kind: 'tenant' },
      data: { severity: 'info', title: 't', body: '', action: { label: 'Open', href: 'javascript:alert(1)' } },
    };
    expect(PublishEventRequest.safeParse(body).success).toBe(false);
    body.data.action.href = '//evil.example/x';
    expect(PublishEventRequest.safeParse(body).success).toBe(false);
    body.data.action.href = '/loans/A-1';
    expect(PublishEventRequest.safeParse(body).success).toBe(true);
  });
});
