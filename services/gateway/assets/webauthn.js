// The hosted login's WebAuthn steps: a form with data-options asks the browser's
// authenticator to sign the challenge in it, and posts the answer in its `credential` field.
// The login's only script, served from the login's own origin.
'use strict';
for (const form of document.querySelectorAll('form[data-options]')) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const options = JSON.parse(form.dataset.options);
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
      const credential = await navigator.credentials.get({ publicKey });
      form.elements.credential.value = JSON.stringify(credential.toJSON());
      form.submit();
    } catch (e) {
      let alert = document.getElementById('error');
      if (!alert) {
        alert = document.createElement('p');
        alert.id = 'error';
        alert.setAttribute('role', 'alert');
        form.before(alert);
      }
      alert.textContent = form.dataset.refused;
      alert.hidden = false;
    }
  });
}
