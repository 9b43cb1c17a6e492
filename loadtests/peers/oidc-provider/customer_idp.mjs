// A customer's identity provider for the federation tests: panva's oidc-provider with its
// development login (any login name, any password) and one client, Portcullis, whose
// redirect URI is given. Its users are whoever logs in: `sub` is the login name, the email
// `<login>@customer.example` is verified.
//   node customer_idp.mjs <port> <redirect_uri> <client_secret>
// Prints "ready" once it listens at http://127.0.0.1:<port>.
import Provider from 'oidc-provider';

const [port, redirectUri, clientSecret] = process.argv.slice(2);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'portcullis',
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name', 'preferred_username'],
  },
  conformIdTokenClaims: false,
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({
      sub: id,
      email: `${id}@customer.example`,
      email_verified: true,
      given_name: 'Grace',
      family_name: 'Customer',
      preferred_username: id,
    }),
  }),
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['a-cookie-key-of-the-test-idp-only'] },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
