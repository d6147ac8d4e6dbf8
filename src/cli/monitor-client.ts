import { MONITOR_TOKEN_ENV } from '../config/configuration.js';
import { CommandError } from './cli-error.js';

export interface MonitorReply {
  status: number;
  body: unknown;
}

const TIMEOUT_MS = 10_000;

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
  if (code === 'ECONNRESET') return 'connection reset';
  if ((error as Error).name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  return code ?? (typeof cause?.message === 'string' ? cause.message : (error as Error).message);
}

/**
 * GET on the monitor's HTTP API. A monitor that cannot be reached, or answers something that is
 * not JSON, is a CommandError that says how to start one or point at it.
 */
export async function getFromMonitor(
  monitorUrl: string,
  pathAndQuery: string,
  token?: string,
): Promise<MonitorReply> {
  const url = new URL(pathAndQuery, monitorUrl.endsWith('/') ? monitorUrl : `${monitorUrl}/`);
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(TIMEOUT_MS),
      // A monitor with login on wants a bearer token (LONGSHORE_MONITOR_TOKEN).
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  } catch (error) {
    throw new CommandError(
      `cannot reach the monitor at ${monitorUrl} (${reasonOf(error)}); start it with 'longshore monitor' or set monitorUrl`,
    );
  }
  if (response.status === 401) {
    throw new CommandError(
      `the monitor at ${monitorUrl} wants a login: set $${MONITOR_TOKEN_ENV} to one of its tokens`,
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CommandError(
      `the monitor at ${monitorUrl} answered ${response.status} with something that is not JSON; is monitorUrl a longshore monitor?`,
    );
  }
  return { status: response.status, body };
}

/** The `error` of a monitor's error reply, else its status. */
export function monitorError(reply: MonitorReply): string {
  const error = (reply.body as { error?: unknown } | null)?.error;
  return typeof error === 'string' && error !== '' ? error : `HTTP ${reply.status}`;
}
