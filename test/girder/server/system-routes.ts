// system/version, user/me and api_key/token (girder/api/v1/system.py, user.py, api_key.py).
import { currentUser } from './auth.js';
import { filterDoc } from './filters.js';
import { floatParam, strParam } from './params.js';
import type { Route } from './router.js';
import { tokenFromApiKey } from './token-model.js';

/** The release this server claims; girder_client uses it to choose the one-shot folder upload (>= 2.3). */
export const GIRDER_RELEASE = '3.2.0';

export const systemRoutes: Route[] = [
  {
    method: 'GET',
    path: 'system/version',
    access: { kind: 'public' },
    handler: (ctx) => ({ release: GIRDER_RELEASE, serverStartDate: ctx.server.serverStartDate }),
  },
  {
    method: 'GET',
    path: 'user/me',
    access: { kind: 'public' },
    handler: (ctx) => {
      const user = currentUser(ctx);
      return user ? filterDoc(ctx.server, 'user', user, user) : null;
    },
  },
  {
    method: 'POST',
    path: 'api_key/token',
    access: { kind: 'public' },
    handler: (ctx) => {
      const key = strParam(ctx, 'key', { required: true, strip: true }) ?? '';
      const duration = floatParam(ctx, 'duration');
      const { user, token } = tokenFromApiKey(ctx.server, key, duration);
      // Like a login, minus the user document: the key may not allow reading it.
      return {
        user: { _id: user._id },
        authToken: { token: token._id, expires: token.expires, scope: token.scope },
      };
    },
  },
];
