// The hosted login's WebAuthn steps: a form with data-options asks the browser's
// authenticator to sign the challenge in it, one with data-create-options to create a
// passkey; either posts the answer in its `credential` field. The login's only script,
// served from the login's own origin.
'use strict';

async function answer(form) {
  if (form.dataset.createOptions) {
    const options = JSON.parse(form.dataset.createOptions);
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey);
    return navigator.credentials.create({ publicKey });
  }
  const options = JSON.parse(form.dataset.options);
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
  return navigator.credentials.get({ publicKey });
}

for (const form of document.querySelectorAll('form[data-options], form[data-create-options]')) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const credential = await answer(form);
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
