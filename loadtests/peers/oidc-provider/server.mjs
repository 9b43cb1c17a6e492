// The load-test peer: panva's oidc-provider (OpenID Certified), configured like the Portcullis
// side of each scenario, on loopback. It writes its fixtures (clients, tokens, endpoints) as
// JSON to the file named by the second argument, then prints "ready".
//   node server.mjs <port> <fixtures.json> [clients]
import { writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, fixturesPath, count = '100'] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const clients = Array.from({ length: Number(count) }, (_, k) => ({
  client_id: `m${k}`,
  client_secret: `secret-${k}-${'x'.repeat(32)}`,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
}));
const introspector = {
  client_id: 'introspector',
  client_secret: `introspector-${'y'.repeat(32)}`,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
};
const web = {
  client_id: 'web',
  client_secret: `web-${'z'.repeat(32)}`,
  redirect_uris: ['http://127.0.0.1:7777/cb'],
};

// Storage in plain Maps: the quick-start adapter is an LRU of 1,000 entries, which a load
// test overflows (evicting the fixtures); Portcullis keeps every token it issues too.
const stores = new Map();
class MapAdapter {
  constructor(name) {
    if (!stores.has(name)) stores.set(name, new Map());
    this.store = stores.get(name);
    this.uids = stores.get(`${name}:uid`) ?? new Map();
    stores.set(`${name}:uid`, this.uids);
  }
  async upsert(id, payload) {
    this.store.set(id, payload);
    if (payload.uid) this.uids.set(payload.uid, id);
  }
  async find(id) { return this.store.get(id); }
  async findByUid(uid) { return this.store.get(this.uids.get(uid)); }
  async findByUserCode() { return undefined; }
  async consume(id) { const p = this.store.get(id); if (p) p.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id) { this.store.delete(id); }
  async revokeByGrantId(grantId) {
    for (const [id, p] of this.store) if (p.grantId === grantId) this.store.delete(id);
  }
}

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [...clients, introspector, web],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
    devInteractions: { enabled: false },
  },
  scopes: ['openid'],
  claims: { openid: ['sub'] },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  cookies: { keys: ['a-peer-cookie-key-for-load-tests-only'] },
  ttl: { ClientCredentials: 3600, AccessToken: 3600, Grant: 3600 },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

// A token of client credentials for introspection, and a user's token for userinfo.
const client = await provider.Client.find(introspector.client_id);
const cc = new provider.ClientCredentials({ client, scope: 'openid' });
const introspected = await cc.save();
const webClient = await provider.Client.find(web.client_id);
const grant = new provider.Grant({ accountId: 'user-1', clientId: web.client_id });
grant.addOIDCScope('openid');
const grantId = await grant.save();
const at = new provider.AccessToken({
  accountId: 'user-1', client: webClient, grantId, scope: 'openid', gty: 'authorization_code',
});
const userToken = await at.save();

const server = provider.listen(Number(port), '127.0.0.1', () => {
  writeFileSync(fixturesPath, JSON.stringify({
    token_path: '/token',
    introspect_path: '/token/introspection',
    userinfo_path: '/me',
    discovery_path: '/.well-known/openid-configuration',
    jwks_path: '/jwks',
    clients: clients.map((c) => [c.client_id, c.client_secret]),
    introspector: [introspector.client_id, introspector.client_secret],
    introspected: [introspected],
    userinfo_token: userToken,
  }));
  console.log('ready');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
