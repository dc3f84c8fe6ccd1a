//! Broker login: turns the configuration and the Finesse-provided credentials
//! into the SIP account the phone registers with.
//!
//! * `sip`: any SIP-over-WebSocket server. The SIP user is the agent's WebRTC
//!   number and the password is the agent's Finesse password (from
//!   `finesse.gadget.Config.authorization`) — never the login name. Under Finesse
//!   single sign-on (no password, a bearer token) the credentials come from the
//!   administrator's SIP credential service instead ([`sip_credentials`]).
//! * `wazo`: wazo-auth token (Basic login with the Finesse credentials, or
//!   wazo-auth's SAML login under SSO ([`sso`]), cached in sessionStorage,
//!   refreshed while running) + the SIP line from confd ([`wazo`]).
//!
//! Which credentials Finesse gave is decided once, when the identity is read
//! ([`ttecphone_components::sso::classify`]).

pub mod sip_credentials;
pub mod sso;
pub mod wazo;

use std::fmt;

use ttecphone_components::config::{BrokerKind, GadgetConfig};
use ttecphone_components::sso::FinesseAuth;
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
    /// Finesse gave no password and no SSO token.
    NoPassword,
    /// Finesse single sign-on, and the broker kind has no configured way to sign in
    /// without a password (the words name the setting).
    SsoNotConfigured(String),
    /// SSO: the IdP did not answer without the agent (the bar offers a button).
    SsoNeedsAgent,
    /// SSO: the sign-in window could not be opened (pop-ups blocked).
    SsoPopupBlocked,
    /// SSO: the IdP, wazo-auth or the credential service refused. Not retried.
    SsoRefused(String),
    /// SSO: the credential service has no SIP account for this agent.
    SsoNoAccount,
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
        let (refusal, detail) = match self {
            Self::AuthFailed(reason) => return Registration::AuthFailed { reason },
            Self::NoWebrtcLine => (
                Refusal::NoWebrtcLine,
                "no line of the Wazo user has webrtc=yes".into(),
            ),
            Self::TooManySessions => (
                Refusal::TooManySessions,
                "wazo-auth answered 429: max_user_concurrent_sessions reached".into(),
            ),
            Self::SsoNotConfigured(detail) => (Refusal::SsoNoPassword, detail),
            Self::SsoNeedsAgent => (
                Refusal::SsoSignIn,
                "the sign-in page did not answer without you".into(),
            ),
            Self::SsoPopupBlocked => (Refusal::SsoPopupBlocked, "window.open was refused".into()),
            Self::SsoRefused(detail) => (Refusal::SsoRefused, detail),
            Self::SsoNoAccount => (
                Refusal::SsoNoAccount,
                "the SIP credential service answered 404".into(),
            ),
            other => {
                return Registration::Failed {
                    reason: other.to_string(),
                }
            }
        };
        Registration::Refused { refusal, detail }
    }
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoPassword => f.write_str(
                "Finesse gave the phone neither a password nor a single sign-on token: sign out of Finesse and sign in again.",
            ),
            Self::SsoNotConfigured(why) | Self::SsoRefused(why) => f.write_str(why),
            Self::SsoNeedsAgent => f.write_str("the company sign-in page needs you"),
            Self::SsoPopupBlocked => f.write_str("the browser blocked the sign-in window"),
            Self::SsoNoAccount => f.write_str("the SIP credential service has no account for you"),
            Self::AuthFailed(why) | Self::Unreachable(why) => f.write_str(why),
            Self::NoWebrtcLine => f.write_str("your Wazo user has no WebRTC line"),
            Self::TooManySessions => f.write_str("too many open sessions for your Wazo user"),
            Self::Unexpected(why) => write!(f, "Cannot sign in to the phone system: {why}."),
            Self::TokenRejected => f.write_str("the Wazo broker no longer accepts the session"),
        }
    }
}

/// A signed-in phone: the SIP account and, for `wazo`, the session keeper
/// (token refreshes stop when it is dropped).
pub struct SignedIn {
    pub account: SipAccount,
    pub session: Option<wazo::Keeper>,
}

/// Signs in; `interactive`: the agent just clicked "Sign in to the phone" (SSO), so a
/// sign-in window may open.
pub async fn sign_in(
    config: &GadgetConfig,
    webrtc_number: &str,
    credentials: &FinesseCredentials,
    interactive: bool,
) -> Result<SignedIn, BrokerError> {
    let account = match (config.broker_kind, &credentials.auth) {
        (_, FinesseAuth::Nothing) => return Err(BrokerError::NoPassword),
        (BrokerKind::Sip, FinesseAuth::Basic { password, .. }) => SipAccount {
            ws_url: config.ws_url.clone(),
            aor_user: webrtc_number.to_string(),
            auth_user: webrtc_number.to_string(),
            password: password.clone(),
            domain: config.sip_domain.clone(),
        },
        (BrokerKind::Sip, FinesseAuth::Sso { token }) => {
            let Some(url) = config.sip_credentials_url.as_deref() else {
                return Err(BrokerError::SsoNotConfigured(
                    "single sign-on with brokerKind=sip needs the administrator's SIP credential service (sipCredentialsUrl)".into(),
                ));
            };
            sip_credentials::fetch(config, url, token, webrtc_number).await?
        }
        (BrokerKind::Wazo, auth) => {
            let how = match auth {
                FinesseAuth::Basic { authorization, .. } => wazo::Login::Basic {
                    authorization: authorization.clone(),
                    domain_name: config.domain_name.clone(),
                },
                _ => wazo::Login::Saml {
                    domain: config.domain_name.clone().ok_or_else(|| {
                        BrokerError::SsoNotConfigured(
                            "single sign-on with Wazo needs the tenant's domain (domainName) for Wazo's SAML login".into(),
                        )
                    })?,
                },
            };
            let (account, keeper) =
                wazo::sign_in(config, webrtc_number, &credentials.id, how, interactive).await?;
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
