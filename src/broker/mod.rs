//! Broker login: turns the configuration and the Finesse-provided credentials
//! into the SIP account the phone registers with.
//!
//! * `sip`: any SIP-over-WebSocket server. The SIP user is the agent's WebRTC
//!   number and the password is the agent's Finesse password (from
//!   `finesse.gadget.Config.authorization`) — never the login name.
//! * `wazo`: wazo-auth token + confd SIP line (not built yet: reported plainly).

use std::fmt;

use ttecphone_components::config::{BrokerKind, GadgetConfig};

use crate::finesse::FinesseCredentials;

/// What the SIP core needs to register. The password is never printed.
#[derive(Clone)]
pub struct SipAccount {
    pub ws_url: String,
    pub aor_user: String,
    pub auth_user: String,
    pub password: String,
    pub domain: String,
}

impl fmt::Debug for SipAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SipAccount")
            .field("ws_url", &self.ws_url)
            .field("aor_user", &self.aor_user)
            .field("auth_user", &self.auth_user)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// Why the phone cannot sign in, in words for the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerError {
    /// Finesse gave no password (SSO login) and the broker kind needs one.
    NoPassword,
    /// The broker kind is not available in this build.
    Unsupported(String),
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoPassword => f.write_str(
                "Finesse gave the phone no password (single sign-on?): the sip broker needs one. Ask your administrator.",
            ),
            Self::Unsupported(what) => write!(f, "{what}"),
        }
    }
}

/// `Basic` credentials `base64(id:password)` → the password.
fn password_from_authorization(authorization: &str) -> Option<String> {
    let encoded = authorization.trim();
    let encoded = encoded.strip_prefix("Basic ").unwrap_or(encoded);
    let decoded = web_sys::window()?.atob(encoded).ok()?;
    let (_, password) = decoded.split_once(':')?;
    (!password.is_empty()).then(|| password.to_string())
}

pub async fn sign_in(
    config: &GadgetConfig,
    webrtc_number: &str,
    credentials: &FinesseCredentials,
) -> Result<SipAccount, BrokerError> {
    match config.broker_kind {
        BrokerKind::Sip => {
            let password = credentials
                .authorization
                .as_deref()
                .and_then(password_from_authorization)
                .ok_or(BrokerError::NoPassword)?;
            Ok(SipAccount {
                ws_url: config.ws_url.clone(),
                aor_user: webrtc_number.to_string(),
                auth_user: webrtc_number.to_string(),
                password,
                domain: config.sip_domain.clone(),
            })
        }
        BrokerKind::Wazo => Err(BrokerError::Unsupported(
            "The wazo broker login is not built yet: use brokerKind=sip.".into(),
        )),
    }
}
