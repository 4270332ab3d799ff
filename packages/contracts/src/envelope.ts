import { z } from 'zod';
import { EntityId } from './domain.js';

/**
 * Every server-to-client event travels in an envelope. `stream` names the ordered sequence it
 * belongs to (a channel in a room); `seq` increases by one per event in that stream, so a gap is
 * visible; `id` makes a replayed event idempotent; `ts` is the server's clock (epoch ms).
 */
export function envelopeSchema<TData extends z.ZodType>(data: TData) {
  return z.object({
    id: EntityId,
    stream: z.string().min(1).max(200),
    seq: z.number().int().nonnegative(),
    ts: z.number().int().nonnegative(),
    /** Set when the event is re-sent after a reconnect rather than live. */
    replay: z.boolean().optional(),
    data,
  });
}

export type Envelope<TData> = {
  id: string;
  stream: string;
  seq: number;
  ts: number;
  replay?: boolean | undefined;
  data: TData;
};
