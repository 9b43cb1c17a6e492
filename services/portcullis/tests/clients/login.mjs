// A user agent without a browser: follows the authorization URL to the hosted login page,
// fills in a form (keeping cookies), and returns where the server sends the user back.

function agent(issuer) {
  const jar = new Map();
  const remember = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const get = async (url) => {
    const res = await fetch(new URL(url, issuer), { redirect: 'manual', headers: { cookie: cookie() } });
    remember(res);
    return res;
  };
  const post = async (path, fields) => {
    const res = await fetch(new URL(path, issuer), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
    remember(res);
    return res;
  };
  return { get, post };
}

const field = (page, name) => page.match(new RegExp(`name="${name}" value="([^"]*)"`))[1];

// The hosted login page an authorization URL leads to.
async function loginPage(ua, authUrl) {
  const res = await ua.get(authUrl);
  return (await ua.get(res.headers.get('location'))).text();
}

export async function logIn(issuer, authUrl, username, password) {
  const ua = agent(issuer);
  const page = await loginPage(ua, authUrl);
  const res = await ua.post('/ui/login', {
    authRequest: field(page, 'authRequest'),
    csrf: field(page, 'csrf'),
    username,
    password,
  });
  return new URL(res.headers.get('location'));
}

// Follows the login page's "Create an account" link and registers `person`.
export async function register(issuer, authUrl, person) {
  const ua = agent(issuer);
  const login = await loginPage(ua, authUrl);
  const href = login.match(/href="([^"]*\/ui\/login\/register[^"]*)"/)[1].replaceAll('&amp;', '&');
  const page = await (await ua.get(href)).text();
  const res = await ua.post('/ui/login/register', {
    authRequest: field(page, 'authRequest'),
    csrf: field(page, 'csrf'),
    ...person,
  });
  return new URL(res.headers.get('location'));
}
