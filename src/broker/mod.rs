//! Broker login: turns the configuration and the Finesse-provided credentials
//! into the SIP account the phone registers with.
//!
//! * `sip`: any SIP-over-WebSocket server. The SIP user is the agent's WebRTC
//!   number and the password is the agent's Finesse password (from
//!   `finesse.gadget.Config.authorization`) — never the login name.
//! * `wazo`: wazo-auth token (Basic login with the Finesse credentials, cached
//!   in sessionStorage, refreshed while running) + the SIP line from confd
//!   ([`wazo`]).

pub mod wazo;

use std::fmt;

use ttecphone_components::config::{BrokerKind, GadgetConfig};
use ttecphone_components::store::{Refusal, Registration};

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
    /// The broker refused the agent's credentials (wazo-auth 401). Not retried.
    AuthFailed(String),
    /// The broker did not answer, or answered 5xx: retried with backoff.
    Unreachable(String),
    /// The broker user has no WebRTC line (none whose options say `webrtc` `yes`).
    NoWebrtcLine,
    /// wazo-auth 429: the user already has its maximum of sessions. Not retried
    /// at sign-in; a renewal retries slowly.
    TooManySessions,
    /// The broker answered something this build does not understand.
    Unexpected(String),
    /// A cached or refreshed token the broker no longer accepts (handled inside `wazo`).
    TokenRejected,
}

impl BrokerError {
    /// Worth retrying by itself (with backoff): the broker may come back.
    pub fn retryable(&self) -> bool {
        matches!(self, Self::Unreachable(_))
    }

    /// How a sign-in that gave up shows in the bar (retryable errors are retried instead).
    pub fn into_registration(self) -> Registration {
        match self {
            Self::AuthFailed(reason) => Registration::AuthFailed { reason },
            Self::NoWebrtcLine => Registration::Refused {
                refusal: Refusal::NoWebrtcLine,
                detail: "no line of the Wazo user has webrtc=yes".into(),
            },
            Self::TooManySessions => Registration::Refused {
                refusal: Refusal::TooManySessions,
                detail: "wazo-auth answered 429: max_user_concurrent_sessions reached".into(),
            },
            other => Registration::Failed {
                reason: other.to_string(),
            },
        }
    }
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoPassword => f.write_str(
                "Finesse gave the phone no password (single sign-on?): the broker login needs one. Ask your administrator.",
            ),
            Self::AuthFailed(why) | Self::Unreachable(why) => f.write_str(why),
            Self::NoWebrtcLine => f.write_str("your Wazo user has no WebRTC line"),
            Self::TooManySessions => f.write_str("too many open sessions for your Wazo user"),
            Self::Unexpected(why) => write!(f, "Cannot sign in to the phone system: {why}."),
            Self::TokenRejected => f.write_str("the Wazo broker no longer accepts the session"),
        }
    }
}

/// `Basic` credentials `base64(id:password)` → the password.
fn password_from_authorization(authorization: &str) -> Option<String> {
    let decoded = web_sys::window()?.atob(authorization).ok()?;
    let (_, password) = decoded.split_once(':')?;
    (!password.is_empty()).then(|| password.to_string())
}

/// A signed-in phone: the SIP account and, for `wazo`, the session keeper
/// (token refreshes stop when it is dropped).
pub struct SignedIn {
    pub account: SipAccount,
    pub session: Option<wazo::Keeper>,
}

/// The Finesse `authorization` (bare Base64 of `id:password`, or with a `Basic ` prefix).
fn basic_credentials(credentials: &FinesseCredentials) -> Option<&str> {
    let text = credentials.authorization.as_deref()?.trim();
    let text = text.strip_prefix("Basic ").unwrap_or(text).trim();
    (!text.is_empty()).then_some(text)
}

pub async fn sign_in(
    config: &GadgetConfig,
    webrtc_number: &str,
    credentials: &FinesseCredentials,
) -> Result<SignedIn, BrokerError> {
    let account = match config.broker_kind {
        BrokerKind::Sip => {
            let password = basic_credentials(credentials)
                .and_then(password_from_authorization)
                .ok_or(BrokerError::NoPassword)?;
            SipAccount {
                ws_url: config.ws_url.clone(),
                aor_user: webrtc_number.to_string(),
                auth_user: webrtc_number.to_string(),
                password,
                domain: config.sip_domain.clone(),
            }
        }
        BrokerKind::Wazo => {
            let authorization = basic_credentials(credentials).ok_or(BrokerError::NoPassword)?;
            let (account, keeper) =
                wazo::sign_in(config, webrtc_number, &credentials.id, authorization).await?;
            return Ok(SignedIn {
                account,
                session: Some(keeper),
            });
        }
    };
    Ok(SignedIn {
        account,
        session: None,
    })
}

/// Finesse LOGOUT: end the broker session (wazo: `DELETE` the token, forget it).
pub fn sign_out(config: &GadgetConfig) {
    if config.broker_kind == BrokerKind::Wazo {
        wazo::sign_out();
    }
}
