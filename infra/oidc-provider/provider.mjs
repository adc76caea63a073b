// A real OpenID provider (panva/oidc-provider) for hemis's SSO tests and benchmark.
// Never for production: accounts are whatever the test says, and /__test/* can tamper tokens.
//
// Environment:
//   PORT      port on 127.0.0.1 to listen on
//   CLIENTS   JSON list of {client_id, client_secret, redirect_uris}
//   CODE_TTL  seconds an authorization code lives (default 60, as the library's default)
//
// Sign-in: the provider sends the browser to /interaction/<uid>; the test then calls
// /interaction/<uid>/login?sub=...&<claim>=... which signs that account in and grants the
// requested scopes (the consent screen a person would click through).
// Tampering: POST /__test/tamper?mode=nonce|iss|aud|exp|sig re-signs the next token
// response's ID token with that claim wrong (with the provider's own key, or with a
// stranger's key for `sig`), so the relying party's checks meet a real, signed token.

import Provider from 'oidc-provider';
import * as jose from 'jose';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.CLIENTS ?? '[]');
const codeTtl = Number(process.env.CODE_TTL ?? 60);

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: 'hemis-dev-1', alg: 'RS256', use: 'sig' };
const stranger = (await jose.generateKeyPair('RS256')).privateKey;

const accounts = new Map(); // sub -> extra claims
// amr (RFC 8176: how the sign-in was checked, e.g. "pwd,otp") comes with openid, from the login result.
const HEMIS_CLAIMS = ['pinfl', 'student_id_number'];
let tamperNext = null;

const provider = new Provider(issuer, {
  clients: clients.map((c) => ({
    ...c,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: [signingJwk] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'hemis'],
  claims: {
    auth_time: null, iss: null, sid: null, // the library's defaults
    openid: ['sub', 'amr'], profile: ['name', 'preferred_username'], hemis: HEMIS_CLAIMS,
  },
  conformIdTokenClaims: false, // the ID token carries the claims, as most university IdPs do
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['hemis-dev-provider-only'] },
  ttl: { AuthorizationCode: codeTtl, AccessToken: 600, IdToken: 600, Grant: 600, Interaction: 600, Session: 600 },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, sub) => (accounts.has(sub)
    ? { accountId: sub, claims: async () => ({ sub, ...accounts.get(sub) }) }
    : undefined),
});

async function resign(idToken, mode) {
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'nonce') claims.nonce = 'replayed-nonce';
  if (mode === 'iss') claims.iss = `${issuer}/other`;
  if (mode === 'aud') claims.aud = 'another-client';
  if (mode === 'exp') { claims.iat = now - 7200; claims.exp = now - 3600; }
  const key = mode === 'sig' ? stranger : privateKey;
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid }).sign(key);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/tamper' && ctx.method === 'POST') {
    tamperNext = ctx.query.mode;
    ctx.status = 204;
    return;
  }
  const login = ctx.path.match(/^\/interaction\/([^/]+)\/login$/);
  if (login) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { sub, amr, ...claims } = ctx.query;
    accounts.set(sub, claims);
    const grant = new provider.Grant({ accountId: sub, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    const result = { login: { accountId: sub, ...(amr ? { amr: amr.split(',') } : {}) }, consent: { grantId } };
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
    return;
  }
  if (/^\/interaction\/[^/]+$/.test(ctx.path)) {
    ctx.body = 'sign-in page (tests call ./login)';
    return;
  }
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && tamperNext && ctx.body?.id_token) {
    const mode = tamperNext;
    tamperNext = null;
    ctx.body = { ...ctx.body, id_token: await resign(ctx.body.id_token, mode) };
  }
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
