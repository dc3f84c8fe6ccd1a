//! Finesse single sign-on (SSO), the pure parts: which kind of credentials Finesse gave
//! the gadget, the bodies of wazo-auth's SAML login, the outcome of the SAML browser leg
//! and the answer of the administrator's SIP credential service. The app's
//! `broker::sso` and `broker::sip_credentials` do the browser and HTTP work; these
//! are here so they are tested natively (`unit_testing/components/sso.rs`).
//!
//! **What Finesse gives.** Without SSO, `finesse.gadget.Config.authorization` is
//! Base64 (one character per byte, as finesse.js encodes it) of `id:password`. With
//! SSO, Finesse 11.6+ gives a bearer token in `Config.authToken` (its REST calls carry
//! `Authorization: Bearer …`) and no password; deployments also hand the token over in
//! `authorization`, or leave it empty. [`classify`] reads all of that, before
//! `ClientServices.init` rewrites Config (10.6.1 turns an empty `authorization` into
//! `<id>:undefined`): only an `authorization` that decodes to a login, a colon and a
//! password counts as a password, and only when Finesse gave no `authToken`.

use std::fmt;

use crate::json::Json;
use crate::wazo::{CLIENT_ID, EXPIRATION_S};

/// What Finesse gave the gadget to sign in with. Secrets are never printed.
#[derive(Clone, PartialEq, Eq)]
pub enum FinesseAuth {
    /// `authorization` = Base64 of `id:password` (no SSO).
    Basic {
        /// The bare Base64 text (what goes after `Basic `).
        authorization: String,
        /// The password, one character per byte as finesse.js encodes it.
        password: String,
    },
    /// Single sign-on: Finesse's bearer token (`authToken`, or a token in `authorization`).
    Sso { token: String },
    /// Nothing usable (no password and no token).
    Nothing,
}

impl FinesseAuth {
    pub fn is_sso(&self) -> bool {
        matches!(self, Self::Sso { .. })
    }
}

impl fmt::Debug for FinesseAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Basic { .. } => "Basic(..)",
            Self::Sso { .. } => "Sso(..)",
            Self::Nothing => "Nothing",
        })
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 → bytes, as finesse.js's own decoder reads it (padding optional); None when
/// the text is not Base64.
pub fn base64_bytes(text: &str) -> Option<Vec<u8>> {
    let clean = text.trim_end_matches('=');
    if clean.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    let (mut bits, mut value) = (0u32, 0u32);
    for byte in clean.bytes() {
        let digit = B64.iter().position(|&c| c == byte)? as u32;
        value = (value << 6) | digit;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
        }
    }
    Some(out)
}

/// Which credentials Finesse gave (see the module doc). `id` is `Config.id`,
/// `authorization` and `auth_token` the Config fields as read (empty = absent).
pub fn classify(id: &str, authorization: Option<&str>, auth_token: Option<&str>) -> FinesseAuth {
    let token = auth_token.map(str::trim).filter(|t| !t.is_empty());
    let text = authorization.map(str::trim).unwrap_or_default();
    if let Some(bearer) = text.strip_prefix("Bearer ") {
        let bearer = bearer.trim();
        if let Some(token) = token.or((!bearer.is_empty()).then_some(bearer)) {
            return FinesseAuth::Sso {
                token: token.into(),
            };
        }
    }
    let bare = text.strip_prefix("Basic ").unwrap_or(text).trim();
    if !bare.is_empty() {
        if let Some(password) = password_of(id, bare) {
            return FinesseAuth::Basic {
                authorization: bare.into(),
                password,
            };
        }
    }
    match token {
        Some(token) => FinesseAuth::Sso {
            token: token.into(),
        },
        // A token handed over in `authorization` (a JWT, or opaque): not a password.
        None if !bare.is_empty() => FinesseAuth::Sso { token: bare.into() },
        None => FinesseAuth::Nothing,
    }
}

/// The password inside `authorization` when it is Base64 of `<login>:<password>`; not for
/// `<id>:undefined` (what finesse.js 10.6.1 makes of an empty one), and not for a JWT, whose
/// Base64 decodes to `{"alg":…` (a colon, but JSON before it). The login may be the agent's
/// id or the name typed at sign-in, so it is not compared with `id`, only with the
/// `undefined` rewrite.
fn password_of(id: &str, bare: &str) -> Option<String> {
    let bytes = base64_bytes(bare)?;
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let (login, password) = text.split_once(':')?;
    let rewritten = login == id && password == "undefined";
    let json = login.trim_start().starts_with('{');
    (!login.is_empty() && !json && !password.is_empty() && !rewritten).then(|| password.into())
}

/// `POST /api/auth/0.1/saml/sso`: where the browser lands once the IdP answered
/// (`redirect_url`, a page of the gadget's own origin) and the tenant's domain.
pub fn saml_sso_body(redirect_url: &str, domain: &str) -> Json {
    Json::object([
        ("redirect_url", Json::string(redirect_url)),
        ("domain", Json::string(domain)),
    ])
}

/// wazo-auth's answer to `/saml/sso`: the IdP URL to open and the session id to log in with.
#[derive(Clone, PartialEq, Eq)]
pub struct SamlStart {
    pub location: String,
    pub saml_session_id: String,
}

impl fmt::Debug for SamlStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SamlStart").finish_non_exhaustive()
    }
}

/// Reads `{location, saml_session_id}`; the location must be an http(s) URL.
pub fn saml_start(body: &Json) -> Option<SamlStart> {
    let location = body.get("location")?.as_str()?;
    let saml_session_id = body.get("saml_session_id")?.as_str()?;
    let web = location.starts_with("https://") || location.starts_with("http://");
    (web && !saml_session_id.is_empty()).then(|| SamlStart {
        location: location.into(),
        saml_session_id: saml_session_id.into(),
    })
}

/// `POST /api/auth/0.1/token` after the IdP answered: the SAML session id instead of
/// Basic credentials, an offline session so the token can be refreshed as usual.
pub fn saml_token_body(saml_session_id: &str) -> Json {
    Json::object([
        ("backend", Json::string("wazo_user")),
        ("expiration", Json::number(EXPIRATION_S.into())),
        ("access_type", Json::string("offline")),
        ("client_id", Json::string(CLIENT_ID)),
        ("saml_session_id", Json::string(saml_session_id)),
    ])
}

/// Where the SAML browser leg ended, read from the landing page's query: wazo-auth's
/// ACS redirects to `redirect_url`, with `login_failure_code=<status>` when the IdP's
/// answer was refused (unknown user, bad signature).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Landing {
    SignedIn,
    Refused(u16),
}

pub fn landing(query: &str) -> Landing {
    let query = query.strip_prefix('?').unwrap_or(query);
    for pair in query.split('&') {
        if let Some(code) = pair.strip_prefix("login_failure_code=") {
            return Landing::Refused(code.parse().unwrap_or(500));
        }
    }
    Landing::SignedIn
}

/// The SIP account the administrator's credential service gave this agent.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceCredentials {
    /// The digest user.
    pub username: String,
    pub password: String,
    /// The AOR user; the WebRTC number when the service names none.
    pub aor: Option<String>,
    /// The WebRTC number the service says this account is for, if it says.
    pub number: Option<String>,
}

impl fmt::Debug for ServiceCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceCredentials")
            .field("username", &self.username)
            .field("aor", &self.aor)
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

/// Reads the service's `{"username", "password", "aor"?, "number"?}`.
pub fn service_credentials(body: &Json) -> Option<ServiceCredentials> {
    let text = |name: &str| {
        body.get(name)
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Some(ServiceCredentials {
        username: text("username")?,
        password: text("password")?,
        aor: text("aor"),
        number: text("number"),
    })
}
