// Tokens and API keys (girder/models/token.py, api_key.py). A token's id is the secret itself.
import type { ServerState } from './context.js';
import { ValidationError } from './errors.js';
import { genToken, newObjectId } from './ids.js';
import { TokenScope } from './auth.js';
import type { ApiKeyDoc, TokenDoc, UserDoc } from './store.js';

/** Setting core.cookie_lifetime's default: tokens last 180 days unless asked otherwise. */
export const COOKIE_LIFETIME_DAYS = 180;
const DAY_MS = 24 * 3600 * 1000;

export function createToken(
  server: ServerState,
  opts: { userId?: string; scope?: readonly string[]; days?: number; apiKeyId?: string } = {},
): TokenDoc {
  const now = new Date();
  const token: TokenDoc = {
    _id: genToken(),
    created: now,
    expires: new Date(now.getTime() + (opts.days ?? COOKIE_LIFETIME_DAYS) * DAY_MS),
    // Token.validate drops duplicate scopes.
    scope: [...new Set(opts.scope ?? [TokenScope.USER_AUTH])],
  };
  if (opts.userId !== undefined) token.userId = opts.userId;
  if (opts.apiKeyId !== undefined) token.apiKeyId = opts.apiKeyId;
  return server.store.insert('token', token);
}

export function createApiKey(
  server: ServerState,
  user: UserDoc,
  opts: { active?: boolean; scope?: string[] | null; tokenDuration?: number | null; name?: string } = {},
): ApiKeyDoc {
  return server.store.insert('api_key', {
    _id: newObjectId(),
    key: genToken(40),
    userId: user._id,
    name: opts.name ?? '',
    scope: opts.scope ?? null,
    tokenDuration: opts.tokenDuration ?? null,
    active: opts.active ?? true,
    created: new Date(),
    lastUse: null,
  });
}

/** ApiKey.createToken: an unknown or inactive key is 'Invalid API key.'; the duration is capped by the key's. */
export function tokenFromApiKey(server: ServerState, key: string, days: number | undefined) {
  const apiKey = server.store.findOne('api_key', (k) => k.key === key);
  if (!apiKey || !apiKey.active) throw new ValidationError('Invalid API key.');
  const cap = apiKey.tokenDuration || COOKIE_LIFETIME_DAYS;
  const duration = Math.min(days || cap, cap);
  const user = server.store.get('user', apiKey.userId);
  if (!user) throw new ValidationError('Invalid API key.');
  apiKey.lastUse = new Date();
  const token = createToken(server, {
    userId: user._id,
    days: duration,
    apiKeyId: apiKey._id,
    ...(apiKey.scope ? { scope: apiKey.scope } : {}),
  });
  return { user, token };
}
