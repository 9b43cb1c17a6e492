// The hosted login's WebAuthn step: the form's button asks the browser's authenticator to
// sign the challenge in the form's data-options, and posts its answer. The only script of
// the login, served from the login's own origin.
'use strict';
const form = document.getElementById('key');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const alert = document.getElementById('error');
  try {
    const options = JSON.parse(form.dataset.options);
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
    const credential = await navigator.credentials.get({ publicKey });
    form.elements.credential.value = JSON.stringify(credential.toJSON());
    form.submit();
  } catch (e) {
    alert.textContent = form.dataset.refused;
    alert.hidden = false;
  }
});
