//! Every text of the hosted login's pages, in each language it speaks.

/// The texts of the login's pages in one language.
pub struct Texts {
    /// The BCP 47 tag, for `<html lang>`.
    pub tag: &'static str,
    pub log_in: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub wrong: &'static str,
    pub too_many: &'static str,
    pub busy: &'static str,
    pub no_passwords: &'static str,
    pub expired_title: &'static str,
    pub expired_intro: &'static str,
    /// The same page when an administrator asked for a new password (an imported user's).
    pub change_required_title: &'static str,
    pub change_required_intro: &'static str,
    pub new_password: &'static str,
    pub change_and_continue: &'static str,
    pub cannot_log_in: &'static str,
    pub log_out_title: &'static str,
    pub log_out_question: &'static str,
    pub log_out_intro: &'static str,
    pub logged_out_title: &'static str,
    pub logged_out: &'static str,
    pub not_logged_out_title: &'static str,
    pub not_logged_out: &'static str,
    pub forgot_password: &'static str,
    pub reset_title: &'static str,
    pub invite_title: &'static str,
    pub reset_intro: &'static str,
    pub send_code: &'static str,
    pub code_sent: &'static str,
    pub code: &'static str,
    pub set_password: &'static str,
    pub password_set_title: &'static str,
    pub password_set: &'static str,
    pub back_to_login: &'static str,
    pub wrong_code: &'static str,
    pub verify_title: &'static str,
    pub verify_intro: &'static str,
    pub verified_title: &'static str,
    pub verified: &'static str,
    pub verify_phone_title: &'static str,
    pub verify_phone_intro: &'static str,
    pub phone_verified_title: &'static str,
    pub phone_verified: &'static str,
    pub register_link: &'static str,
    pub register_title: &'static str,
    pub given_name: &'static str,
    pub family_name: &'static str,
    pub email: &'static str,
    pub create_account: &'static str,
    pub username_taken: &'static str,
    pub invalid_email: &'static str,
    pub invalid_username: &'static str,
    pub invalid_name: &'static str,
    pub no_registration: &'static str,
    pub choose_account: &'static str,
    pub use_another_account: &'static str,
    pub mfa_title: &'static str,
    pub mfa_totp: &'static str,
    pub mfa_otp_email: &'static str,
    pub mfa_otp_sms: &'static str,
    pub mfa_recovery_code: &'static str,
    pub totp_name: &'static str,
    pub otp_email_name: &'static str,
    pub otp_sms_name: &'static str,
    pub recovery_code_name: &'static str,
    pub mfa_other: &'static str,
    pub mfa_wrong: &'static str,
    pub mfa_key: &'static str,
    pub use_key: &'static str,
    pub key_refused: &'static str,
    pub needs_javascript: &'static str,
    pub u2f_name: &'static str,
    pub passkey_name: &'static str,
    pub passkey_login: &'static str,
    /// Before an IdP's name on its button.
    pub idp_login: &'static str,
    pub passkey_register_title: &'static str,
    pub passkey_register_intro: &'static str,
    pub passkey_create_intro: &'static str,
    pub passkey_name_label: &'static str,
    pub passkey_create: &'static str,
    pub passkey_registered_title: &'static str,
    pub passkey_registered: &'static str,
    pub wrong_link: &'static str,
    pub no_passkeys: &'static str,
    pub resend_code: &'static str,
    pub continue_: &'static str,
    pub form_post_title: &'static str,
    /// The page that carries a sign-in on (to an identity provider, or posted again here).
    pub sign_in_on_title: &'static str,
    pub link_title: &'static str,
    /// Before the identity ("ada@acme.example at Acme SSO").
    pub link_intro: &'static str,
    /// Between the identity and the IdP's name.
    pub link_at: &'static str,
    pub link_button: &'static str,
    pub device_title: &'static str,
    pub device_intro: &'static str,
    pub device_code: &'static str,
    pub device_invalid: &'static str,
    pub device_allow_title: &'static str,
    pub device_allow_intro: &'static str,
    pub device_signed_in_as: &'static str,
    pub allow: &'static str,
    pub deny: &'static str,
    pub device_connected_title: &'static str,
    pub device_connected: &'static str,
    pub device_denied_title: &'static str,
    pub device_denied: &'static str,
    pub form_post_text: &'static str,
    pub mfa_setup_title: &'static str,
    pub mfa_setup_intro: &'static str,
    pub mfa_setup_key: &'static str,
    pub mfa_setup_open: &'static str,
    pub mfa_cannot_set_up: &'static str,
}

/// Why a page ends a flow instead of going on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    UnknownClient,
    UnregisteredRedirect,
    LoginExpired,
    FormExpired,
    LoggedOutUnregistered,
    /// An IdP that is not offered (any more) to this login.
    IdpUnavailable,
    /// The IdP refused, or its answer did not hold.
    IdpFailed,
    /// Nobody is linked to the IdP's user, and the IdP creates nobody (or the user may not
    /// log in).
    IdpNoUser,
    /// A SAML request that cannot be trusted (an unknown SP, an unregistered ACS, a bad
    /// signature...).
    SamlRefused,
}

impl Notice {
    pub fn text(self, language_tag: &str) -> &'static str {
        let german = language_tag == "de";
        match (self, german) {
            (Notice::UnknownClient, false) => "The application is not known (client_id).",
            (Notice::UnknownClient, true) => "Die Anwendung ist nicht bekannt (client_id).",
            (Notice::UnregisteredRedirect, false) => {
                "The redirect URI is not registered for this application."
            }
            (Notice::UnregisteredRedirect, true) => {
                "Die Weiterleitungsadresse ist für diese Anwendung nicht registriert."
            }
            (Notice::LoginExpired, false) => {
                "This login has expired. Start again from the application."
            }
            (Notice::LoginExpired, true) => {
                "Diese Anmeldung ist abgelaufen. Beginnen Sie erneut in der Anwendung."
            }
            (Notice::FormExpired, false) => {
                "The form expired or did not come from this page. Start again."
            }
            (Notice::FormExpired, true) => {
                "Das Formular ist abgelaufen oder stammt nicht von dieser Seite. Beginnen Sie erneut."
            }
            (Notice::LoggedOutUnregistered, false) => {
                "You are logged out. The address to return to is not registered."
            }
            (Notice::LoggedOutUnregistered, true) => {
                "Sie sind abgemeldet. Die Rücksprungadresse ist nicht registriert."
            }
            (Notice::IdpUnavailable, false) => {
                "This way of logging in is not available. Start again from the application."
            }
            (Notice::IdpUnavailable, true) => {
                "Diese Anmeldeart ist nicht verfügbar. Beginnen Sie erneut in der Anwendung."
            }
            (Notice::IdpFailed, false) => {
                "The login at the identity provider did not succeed. Start again from the application."
            }
            (Notice::IdpFailed, true) => {
                "Die Anmeldung beim Identitätsanbieter ist nicht gelungen. Beginnen Sie erneut in der Anwendung."
            }
            (Notice::IdpNoUser, false) => {
                "No account here may log in with this identity. Ask your administrator."
            }
            (Notice::IdpNoUser, true) => {
                "Mit dieser Identität darf sich hier kein Konto anmelden. Fragen Sie Ihren Administrator."
            }
            (Notice::SamlRefused, false) => {
                "The application's sign-in request cannot be accepted. Start again from the application, or ask its administrator."
            }
            (Notice::SamlRefused, true) => {
                "Die Anmeldeanfrage der Anwendung kann nicht angenommen werden. Beginnen Sie erneut in der Anwendung, oder fragen Sie deren Administrator."
            }
        }
    }
}

impl Texts {
    /// What a refused new password broke (`USER-0009`, whose details name the `rule` and
    /// the `min_length`), as the page says it.
    pub fn broken_rule(&self, refusal: &domain::Error) -> String {
        let detail = |name: &str| {
            let found = refusal.details.iter().find(|(k, _)| k == name);
            found.map_or("", |(_, v)| v.as_str())
        };
        let (rule, min_length) = (detail("rule"), detail("min_length"));
        let german = self.tag == "de";
        match (rule, german) {
            ("min_length", false) => {
                format!("The new password must be {min_length} to 200 characters long.")
            }
            ("min_length", true) => {
                format!("Das neue Passwort muss {min_length} bis 200 Zeichen lang sein.")
            }
            ("has_uppercase", false) => "The new password needs an uppercase letter.".into(),
            ("has_uppercase", true) => "Das neue Passwort braucht einen Großbuchstaben.".into(),
            ("has_lowercase", false) => "The new password needs a lowercase letter.".into(),
            ("has_lowercase", true) => "Das neue Passwort braucht einen Kleinbuchstaben.".into(),
            ("has_number", false) => "The new password needs a number.".into(),
            ("has_number", true) => "Das neue Passwort braucht eine Ziffer.".into(),
            (_, false) => "The new password needs a symbol.".into(),
            (_, true) => "Das neue Passwort braucht ein Sonderzeichen.".into(),
        }
    }
}

pub const ENGLISH: Texts = Texts {
    tag: "en",
    log_in: "Log in",
    username: "Username",
    password: "Password",
    wrong: "Wrong username or password, or the account cannot log in.",
    too_many: "Too many failed attempts. Wait a moment, then try again.",
    busy: "The service is busy. Try again in a moment.",
    no_passwords: "Logging in with a password is not allowed here.",
    expired_title: "Your password has expired",
    expired_intro: "Choose a new password to continue.",
    change_required_title: "Choose a new password",
    change_required_intro: "Before you go on, choose a new password for your account.",
    new_password: "New password",
    change_and_continue: "Change password and continue",
    cannot_log_in: "Cannot log in",
    log_out_title: "Log out",
    log_out_question: "Log out?",
    log_out_intro: "You will be logged out of every application that uses this login.",
    logged_out_title: "Logged out",
    logged_out: "You are logged out.",
    not_logged_out_title: "Not logged out",
    not_logged_out: "This logout did not come from the logout page, so nobody was logged out. \
                     Open the logout page again to log out.",
    forgot_password: "Forgot password?",
    reset_title: "Reset your password",
    invite_title: "Choose your password",
    reset_intro: "Enter your username. If its account has an email address, we send a code to it.",
    send_code: "Send code",
    code_sent: "If the account exists, a code is on its way to its email address. Enter it with your new password.",
    code: "Code",
    set_password: "Set password",
    password_set_title: "Password set",
    password_set: "Your password is set. Log in to your application with it.",
    back_to_login: "Back to the login",
    wrong_code: "The code is wrong, used or expired. Ask for a new one.",
    verify_title: "Verify your email address",
    verify_intro: "Confirm that this email address is yours.",
    verified_title: "Email address verified",
    verified: "Thank you: your email address is verified.",
    verify_phone_title: "Verify your phone number",
    verify_phone_intro: "Confirm that this phone number is yours.",
    phone_verified_title: "Phone number verified",
    phone_verified: "Thank you: your phone number is verified.",
    register_link: "Create an account",
    register_title: "Create your account",
    given_name: "First name",
    family_name: "Last name",
    email: "Email address",
    create_account: "Create account",
    username_taken: "This username is taken. Choose another one.",
    invalid_email: "Enter a valid email address.",
    invalid_username: "A username has no spaces and at most 200 characters.",
    invalid_name: "Enter your first and last name (at most 200 characters each).",
    no_registration: "Registration is not open here.",
    choose_account: "Choose an account",
    use_another_account: "Use another account",
    mfa_title: "Confirm it is you",
    mfa_totp: "Enter the 6-digit code your authenticator app shows.",
    mfa_otp_email: "We sent a code to your email address. Enter it here; it is good for 5 minutes.",
    mfa_otp_sms: "We sent a code to your phone by text message. Enter it here; it is good for 5 minutes.",
    mfa_recovery_code: "Enter one of your recovery codes. Each one works once.",
    totp_name: "Authenticator app",
    otp_email_name: "Code by email",
    otp_sms_name: "Code by text message",
    recovery_code_name: "Recovery code",
    mfa_other: "Other ways to confirm",
    mfa_wrong: "The code is wrong or was used already. Try again.",
    mfa_key: "Use your security key or passkey: press the button, then follow your browser.",
    use_key: "Use my key",
    key_refused: "The key did not answer, or its answer was refused. Try again.",
    needs_javascript: "This step needs JavaScript. Turn it on, or choose another way below.",
    u2f_name: "Security key",
    passkey_name: "Passkey",
    passkey_login: "Log in with a passkey",
    idp_login: "Log in with",
    passkey_register_title: "Register a passkey",
    passkey_register_intro: "A passkey logs you in with your device's screen lock or a security key, without a password.",
    passkey_create_intro: "Name the passkey, then follow your browser to create it.",
    passkey_name_label: "Name of the passkey",
    passkey_create: "Create the passkey",
    passkey_registered_title: "Passkey registered",
    passkey_registered: "From now on you can log in with it: choose \u{201c}Log in with a passkey\u{201d}.",
    wrong_link: "The link is wrong, used or expired. Ask for a new one.",
    no_passkeys: "Passkeys are not allowed here. Ask your administrator.",
    resend_code: "Send a new code",
    continue_: "Continue",
    form_post_title: "Back to the application",
    sign_in_on_title: "Signing you in",
    link_title: "Link your account",
    link_intro: "Log in to your account here once, with its password, to log in from now on as",
    link_at: "at",
    link_button: "Link and log in",
    device_title: "Connect a device",
    device_intro: "Enter the code your device shows.",
    device_code: "Code",
    device_invalid: "This code is not valid or has expired. Check it on your device.",
    device_allow_title: "Allow this device?",
    device_allow_intro: "The device that shows this code asks to use your account:",
    device_signed_in_as: "Signed in as",
    allow: "Allow",
    deny: "Deny",
    device_connected_title: "Device connected",
    device_connected: "You can go back to your device now.",
    device_denied_title: "Device not connected",
    device_denied: "The device gets no access. You can close this page.",
    form_post_text: "If your browser does not go on by itself, choose Continue.",
    mfa_setup_title: "Set up two-factor authentication",
    mfa_setup_intro: "A second factor is required to log in. Scan the QR code with an authenticator app, or enter the key by hand, then enter the 6-digit code the app shows.",
    mfa_setup_key: "Key",
    mfa_setup_open: "Open in an authenticator app",
    mfa_cannot_set_up: "A second factor is required to log in, and none can be set up here. Ask your administrator.",
};

pub const GERMAN: Texts = Texts {
    tag: "de",
    log_in: "Anmelden",
    username: "Benutzername",
    password: "Passwort",
    wrong: "Benutzername oder Passwort ist falsch, oder das Konto kann sich nicht anmelden.",
    too_many: "Zu viele Fehlversuche. Warten Sie einen Moment und versuchen Sie es dann erneut.",
    busy: "Der Dienst ist ausgelastet. Versuchen Sie es gleich noch einmal.",
    no_passwords: "Die Anmeldung mit Passwort ist hier nicht erlaubt.",
    expired_title: "Ihr Passwort ist abgelaufen",
    expired_intro: "Wählen Sie ein neues Passwort, um fortzufahren.",
    change_required_title: "Wählen Sie ein neues Passwort",
    change_required_intro: "Bevor Sie fortfahren, wählen Sie ein neues Passwort für Ihr Konto.",
    new_password: "Neues Passwort",
    change_and_continue: "Passwort ändern und fortfahren",
    cannot_log_in: "Anmeldung nicht möglich",
    log_out_title: "Abmelden",
    log_out_question: "Abmelden?",
    log_out_intro: "Sie werden von allen Anwendungen abgemeldet, die diese Anmeldung verwenden.",
    logged_out_title: "Abgemeldet",
    logged_out: "Sie sind abgemeldet.",
    not_logged_out_title: "Nicht abgemeldet",
    not_logged_out: "Diese Abmeldung kam nicht von der Abmeldeseite, daher wurde niemand \
                     abgemeldet. Öffnen Sie die Abmeldeseite erneut, um sich abzumelden.",
    forgot_password: "Passwort vergessen?",
    reset_title: "Passwort zurücksetzen",
    invite_title: "Wählen Sie Ihr Passwort",
    reset_intro: "Geben Sie Ihren Benutzernamen ein. Hat das Konto eine E-Mail-Adresse, senden wir einen Code dorthin.",
    send_code: "Code senden",
    code_sent: "Falls das Konto existiert, ist ein Code an seine E-Mail-Adresse unterwegs. Geben Sie ihn mit Ihrem neuen Passwort ein.",
    code: "Code",
    set_password: "Passwort festlegen",
    password_set_title: "Passwort festgelegt",
    password_set: "Ihr Passwort ist festgelegt. Melden Sie sich damit bei Ihrer Anwendung an.",
    back_to_login: "Zurück zur Anmeldung",
    wrong_code: "Der Code ist falsch, verbraucht oder abgelaufen. Fordern Sie einen neuen an.",
    verify_title: "E-Mail-Adresse bestätigen",
    verify_intro: "Bestätigen Sie, dass diese E-Mail-Adresse Ihnen gehört.",
    verified_title: "E-Mail-Adresse bestätigt",
    verified: "Danke: Ihre E-Mail-Adresse ist bestätigt.",
    verify_phone_title: "Telefonnummer bestätigen",
    verify_phone_intro: "Bestätigen Sie, dass diese Telefonnummer Ihnen gehört.",
    phone_verified_title: "Telefonnummer bestätigt",
    phone_verified: "Danke: Ihre Telefonnummer ist bestätigt.",
    register_link: "Konto erstellen",
    register_title: "Ihr Konto erstellen",
    given_name: "Vorname",
    family_name: "Nachname",
    email: "E-Mail-Adresse",
    create_account: "Konto erstellen",
    username_taken: "Dieser Benutzername ist vergeben. Wählen Sie einen anderen.",
    invalid_email: "Geben Sie eine gültige E-Mail-Adresse ein.",
    invalid_username: "Ein Benutzername hat keine Leerzeichen und höchstens 200 Zeichen.",
    invalid_name: "Geben Sie Vor- und Nachnamen ein (je höchstens 200 Zeichen).",
    no_registration: "Eine Registrierung ist hier nicht möglich.",
    choose_account: "Konto wählen",
    use_another_account: "Anderes Konto verwenden",
    mfa_title: "Bestätigen Sie, dass Sie es sind",
    mfa_totp: "Geben Sie den 6-stelligen Code ein, den Ihre Authenticator-App anzeigt.",
    mfa_otp_email: "Wir haben Ihnen einen Code per E-Mail geschickt. Geben Sie ihn hier ein; er gilt 5 Minuten.",
    mfa_otp_sms: "Wir haben Ihnen einen Code per SMS geschickt. Geben Sie ihn hier ein; er gilt 5 Minuten.",
    mfa_recovery_code: "Geben Sie einen Ihrer Wiederherstellungscodes ein. Jeder gilt nur einmal.",
    totp_name: "Authenticator-App",
    otp_email_name: "Code per E-Mail",
    otp_sms_name: "Code per SMS",
    recovery_code_name: "Wiederherstellungscode",
    mfa_other: "Andere Möglichkeiten zur Bestätigung",
    mfa_wrong: "Der Code ist falsch oder wurde schon verwendet. Versuchen Sie es erneut.",
    mfa_key: "Verwenden Sie Ihren Sicherheitsschlüssel oder Passkey: Drücken Sie die Schaltfläche und folgen Sie Ihrem Browser.",
    use_key: "Meinen Schlüssel verwenden",
    key_refused: "Der Schlüssel hat nicht geantwortet, oder seine Antwort wurde abgelehnt. Versuchen Sie es erneut.",
    needs_javascript: "Dieser Schritt braucht JavaScript. Schalten Sie es ein, oder wählen Sie unten eine andere Möglichkeit.",
    u2f_name: "Sicherheitsschlüssel",
    passkey_name: "Passkey",
    passkey_login: "Mit einem Passkey anmelden",
    idp_login: "Anmelden mit",
    passkey_register_title: "Passkey registrieren",
    passkey_register_intro: "Mit einem Passkey melden Sie sich über die Bildschirmsperre Ihres Geräts oder einen Sicherheitsschlüssel an, ohne Passwort.",
    passkey_create_intro: "Benennen Sie den Passkey und folgen Sie dann Ihrem Browser, um ihn zu erstellen.",
    passkey_name_label: "Name des Passkeys",
    passkey_create: "Passkey erstellen",
    passkey_registered_title: "Passkey registriert",
    passkey_registered: "Ab jetzt können Sie sich damit anmelden: Wählen Sie \u{201e}Mit einem Passkey anmelden\u{201c}.",
    wrong_link: "Der Link ist falsch, verbraucht oder abgelaufen. Fordern Sie einen neuen an.",
    no_passkeys: "Passkeys sind hier nicht erlaubt. Wenden Sie sich an Ihre Administration.",
    resend_code: "Neuen Code senden",
    continue_: "Weiter",
    form_post_title: "Zurück zur Anwendung",
    sign_in_on_title: "Sie werden angemeldet",
    link_title: "Konto verknüpfen",
    link_intro: "Melden Sie sich einmal mit dem Passwort Ihres Kontos hier an, um sich künftig anzumelden als",
    link_at: "bei",
    link_button: "Verknüpfen und anmelden",
    device_title: "Gerät verbinden",
    device_intro: "Geben Sie den Code ein, den Ihr Gerät anzeigt.",
    device_code: "Code",
    device_invalid: "Dieser Code ist ungültig oder abgelaufen. Prüfen Sie ihn auf Ihrem Gerät.",
    device_allow_title: "Dieses Gerät zulassen?",
    device_allow_intro: "Das Gerät, das diesen Code anzeigt, möchte Ihr Konto verwenden:",
    device_signed_in_as: "Angemeldet als",
    allow: "Zulassen",
    deny: "Ablehnen",
    device_connected_title: "Gerät verbunden",
    device_connected: "Sie können jetzt zu Ihrem Gerät zurückkehren.",
    device_denied_title: "Gerät nicht verbunden",
    device_denied: "Das Gerät erhält keinen Zugang. Sie können diese Seite schließen.",
    form_post_text: "Falls Ihr Browser nicht von selbst weitergeht, wählen Sie „Weiter“.",
    mfa_setup_title: "Zwei-Faktor-Authentifizierung einrichten",
    mfa_setup_intro: "Für die Anmeldung ist ein zweiter Faktor nötig. Scannen Sie den QR-Code mit einer Authenticator-App oder geben Sie den Schlüssel von Hand ein, dann den 6-stelligen Code, den die App anzeigt.",
    mfa_setup_key: "Schlüssel",
    mfa_setup_open: "In einer Authenticator-App öffnen",
    mfa_cannot_set_up: "Für die Anmeldung ist ein zweiter Faktor nötig, und hier lässt sich keiner einrichten. Wenden Sie sich an Ihre Administration.",
};
