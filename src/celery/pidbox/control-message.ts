import { z } from 'zod';

/**
 * A remote-control request as `app.control.broadcast()` sends it:
 * `{method, arguments, destination, pattern, matcher, ticket?, reply_to?}`.
 */
export const controlMessageSchema = z.looseObject({
  method: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()).nullish(),
  destination: z.array(z.string()).nullish(),
  pattern: z.string().nullish(),
  matcher: z.string().nullish(),
  ticket: z.string().nullish(),
  reply_to: z.looseObject({ exchange: z.string(), routing_key: z.string() }).nullish(),
});

export type ControlMessage = z.output<typeof controlMessageSchema>;

export interface ControlRequestInput {
  method: string;
  arguments: Record<string, unknown>;
  destination?: string[] | null;
  ticket?: string;
  replyTo?: { exchange: string; routing_key: string };
}

let clock = 0;

/** The body and headers of a control request (`expires` 0: no timeout, as a cast sends). */
export function buildControlRequest(input: ControlRequestInput): {
  body: Buffer;
  headers: Record<string, unknown>;
} {
  const body: Record<string, unknown> = {
    method: input.method,
    arguments: input.arguments,
    destination: input.destination ?? null,
    pattern: null,
    matcher: null,
  };
  if (input.ticket) body.ticket = input.ticket;
  if (input.replyTo) body.reply_to = input.replyTo;
  clock += 1;
  return { body: Buffer.from(JSON.stringify(body), 'utf8'), headers: { clock, expires: 0 } };
}
