// A user agent without a browser: follows the authorization URL to the hosted login page,
// fills in the form (keeping cookies), and returns where the server sends the user back.
export async function logIn(issuer, authUrl, username, password) {
  const jar = new Map();
  const remember = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  let res = await fetch(authUrl, { redirect: 'manual' });
  const login = new URL(res.headers.get('location'), issuer);
  res = await fetch(login, { headers: { cookie: cookie() } });
  remember(res);
  const page = await res.text();
  const field = (name) => page.match(new RegExp(`name="${name}" value="([^"]*)"`))[1];
  const form = new URLSearchParams({
    authRequest: field('authRequest'),
    csrf: field('csrf'),
    username,
    password,
  });
  res = await fetch(new URL('/ui/login', issuer), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  return new URL(res.headers.get('location'));
}
