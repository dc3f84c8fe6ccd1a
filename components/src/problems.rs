//! Everything that stops the phone from working, in plain words with one next
//! step each. Problems are derived from the state (never stored twice), so a
//! new source of trouble only needs a new [`Problem`] variant and a line in
//! [`problems`]; [`crate::ProblemNotice`] renders any list of them.

use yew::prelude::*;

use crate::quality::QualityWarning;
use crate::routing::Notice;
use crate::store::{
    BrowserGap, FinesseObject, FinesseTrouble, MediaProblem, Millis, PhoneState, Playback, Refusal,
    Registration, SessionTrouble, UserCommand,
};

/// The browsers the phone works in (what a too-old browser is told to use).
pub const SUPPORTED_BROWSERS: &str = "Chrome, Edge or Firefox ESR 115 or newer";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The browser lacks what the phone needs (start-up check).
    BrowserUnsupported {
        missing: Vec<BrowserGap>,
    },
    /// The browser cannot route sound to a chosen speaker (`setSinkId`): not fatal.
    SpeakerChoiceUnavailable,
    /// A configuration key is missing or invalid.
    ConfigInvalid {
        key: String,
        message: String,
    },
    /// The Finesse user is not a mobile agent, or has no WebRTC number.
    NotWebrtcAgent,
    /// The broker refused the credentials.
    BrokerCredentials {
        detail: String,
    },
    /// The phone system said why it refused the phone (no WebRTC line, too
    /// many sessions, too many devices); `detail` is for support.
    Refused {
        refusal: Refusal,
        detail: String,
    },
    /// The broker was never reached since the page loaded.
    BrokerUnreachable {
        detail: String,
        retry_in_s: Option<u64>,
    },
    /// The WebSocket closed after working; the transport reconnects.
    ConnectionLost {
        detail: String,
        retry_in_s: Option<u64>,
    },
    MicrophoneDenied,
    NoMicrophone,
    /// The browser blocks sound until the agent clicks once.
    PlaybackBlocked,
    /// The broker session could not be renewed: the refresh and a fresh
    /// sign-in were both refused. Calls still come in; retried slowly.
    SessionRefused {
        detail: String,
    },
    /// The call's audio path was lost; ICE is being restarted (re-INVITE).
    AudioReconnecting,
    /// The broker did not answer the session renewal; retried with backoff.
    SessionUnreachable {
        detail: String,
        retry_in_s: Option<u64>,
    },
    /// Single sign-on: renewing the broker session needs the agent at the company's
    /// sign-in page; the bar offers "Sign in to the phone". Calls still come in.
    SessionSignIn,
    /// The call's audio is poor or the microphone silent ([`crate::quality`]).
    CallQuality(QualityWarning),
    /// finesse.js could not load what the phone needs (an `onError`): Finesse named
    /// as the cause, with the HTTP status it reported.
    Finesse {
        what: FinesseObject,
        status: u16,
        /// Asking again in this many seconds; `None`: not asking again.
        retry_in_s: Option<u64>,
        /// 401/403 on the agent's User: only signing in again helps.
        sign_in: bool,
    },
    /// Routing follows the phone: what the gadget did in Finesse, or why the agent's
    /// Ready cannot work ([`crate::routing`]).
    Routing(Notice),
    /// Anything else that stopped the phone.
    Failed {
        detail: String,
    },
}

fn retry_in(retry_at: Option<Millis>, now: Millis) -> Option<u64> {
    retry_at.map(|at| at.saturating_sub(now).div_ceil(1000))
}

/// The problems to show now, most fundamental first.
pub fn problems(state: &PhoneState) -> Vec<Problem> {
    let fatal: Vec<BrowserGap> = state
        .browser_gaps
        .iter()
        .copied()
        .filter(|gap| gap.fatal())
        .collect();
    let mut out: Vec<Problem> = Vec::new();
    if !fatal.is_empty() {
        out.push(Problem::BrowserUnsupported { missing: fatal });
    }
    out.extend(
        state
            .config_problems
            .iter()
            .map(|p| Problem::ConfigInvalid {
                key: p.key.clone(),
                message: p.message.clone(),
            }),
    );
    if let Some(trouble) = &state.finesse_trouble {
        out.push(finesse_problem(trouble, state.now));
    }
    let agent = &state.agent;
    let not_webrtc = !agent.id.is_empty()
        && agent.state != crate::store::AgentState::Logout
        && (!agent.mobile_agent || agent.webrtc_number.is_none());
    if not_webrtc {
        out.push(Problem::NotWebrtcAgent);
    }
    match &state.registration {
        Registration::AuthFailed { reason } => out.push(Problem::BrokerCredentials {
            detail: reason.clone(),
        }),
        Registration::Refused { refusal, detail } => out.push(Problem::Refused {
            refusal: *refusal,
            detail: detail.clone(),
        }),
        Registration::Reconnecting { retry_at, reason } => {
            let retry_in_s = retry_in(*retry_at, state.now);
            out.push(if state.connected_once {
                Problem::ConnectionLost {
                    detail: reason.clone(),
                    retry_in_s,
                }
            } else {
                Problem::BrokerUnreachable {
                    detail: reason.clone(),
                    retry_in_s,
                }
            });
        }
        Registration::Failed { reason } if state.config_problems.is_empty() => {
            out.push(Problem::Failed {
                detail: reason.clone(),
            })
        }
        _ => {}
    }
    if state.audio_reconnecting && state.call.is_some() {
        out.push(Problem::AudioReconnecting);
    }
    // A session renewal problem matters only while the phone itself works:
    // a broken registration already says more.
    let registration_ok = matches!(
        state.registration,
        Registration::Registered { .. } | Registration::Registering | Registration::Connecting
    );
    match &state.session_trouble {
        Some(SessionTrouble::Refused { detail, .. }) if registration_ok => {
            out.push(Problem::SessionRefused {
                detail: detail.clone(),
            })
        }
        Some(SessionTrouble::Unreachable { detail, retry_at }) if registration_ok => {
            out.push(Problem::SessionUnreachable {
                detail: detail.clone(),
                retry_in_s: retry_in(*retry_at, state.now),
            })
        }
        Some(SessionTrouble::NeedsAgent { .. }) if registration_ok => {
            out.push(Problem::SessionSignIn)
        }
        _ => {}
    }
    match state.media_problem {
        Some(MediaProblem::MicrophoneDenied) => out.push(Problem::MicrophoneDenied),
        Some(MediaProblem::NoMicrophone) => out.push(Problem::NoMicrophone),
        None => {}
    }
    if state.playback == Playback::Blocked {
        out.push(Problem::PlaybackBlocked);
    }
    if state.browser_gaps.contains(&BrowserGap::SpeakerChoice) {
        out.push(Problem::SpeakerChoiceUnavailable);
    }
    if let (Some(warning), Some(_)) = (state.quality.and_then(|q| q.warning), &state.call) {
        out.push(Problem::CallQuality(warning));
    }
    if let Some(notice) = state.routing.notice {
        out.push(Problem::Routing(notice));
    }
    out
}

fn finesse_problem(trouble: &FinesseTrouble, now: Millis) -> Problem {
    Problem::Finesse {
        what: trouble.what,
        status: trouble.status,
        retry_in_s: retry_in(trouble.retry_at, now),
        sign_in: trouble.needs_sign_in(),
    }
}

/// " (HTTP 500)", or nothing when finesse.js gave no status.
fn http(status: u16) -> String {
    if status == 0 {
        String::new()
    } else {
        format!(" (HTTP {status})")
    }
}

fn seconds(retry_in_s: Option<u64>) -> String {
    match retry_in_s {
        Some(s) if s > 0 => format!("in {s} s"),
        _ => "now".into(),
    }
}

impl Problem {
    /// The problem for `refusal`, without a detail (for its words).
    pub fn refused(refusal: Refusal) -> Self {
        Self::Refused {
            refusal,
            detail: String::new(),
        }
    }

    /// A stable name for tests and styling (`data-problem`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::BrowserUnsupported { .. } => "browser-unsupported",
            Self::SpeakerChoiceUnavailable => "speaker-choice-unavailable",
            Self::ConfigInvalid { .. } => "config-invalid",
            Self::Refused { refusal, .. } => match refusal {
                Refusal::NoWebrtcLine => "no-webrtc-line",
                Refusal::TooManySessions => "too-many-sessions",
                Refusal::TooManyDevices => "too-many-devices",
                Refusal::SsoNoPassword => "sso-no-password",
                Refusal::SsoSignIn => "sso-sign-in",
                Refusal::SsoPopupBlocked => "sso-popup-blocked",
                Refusal::SsoRefused => "sso-refused",
                Refusal::SsoNoAccount => "sso-no-account",
            },
            Self::NotWebrtcAgent => "not-webrtc-agent",
            Self::BrokerCredentials { .. } => "broker-credentials",
            Self::BrokerUnreachable { .. } => "broker-unreachable",
            Self::ConnectionLost { .. } => "connection-lost",
            Self::MicrophoneDenied => "microphone-denied",
            Self::NoMicrophone => "no-microphone",
            Self::PlaybackBlocked => "playback-blocked",
            Self::AudioReconnecting => "audio-reconnecting",
            Self::SessionRefused { .. } => "session-refused",
            Self::SessionUnreachable { .. } => "session-unreachable",
            Self::SessionSignIn => "session-sign-in",
            Self::CallQuality(warning) => warning.code(),
            Self::Finesse { sign_in: true, .. } => "finesse-sign-in",
            Self::Finesse {
                what: FinesseObject::Failover,
                ..
            } => "finesse-failover",
            Self::Finesse { .. } => "finesse",
            Self::Routing(notice) => match notice {
                Notice::MadeNotReady(_) => "routing-not-ready",
                Notice::ReadyWhileDown(_) => "routing-ready-while-down",
                Notice::BackUp => "routing-go-ready",
                Notice::MadeReady => "routing-made-ready",
                Notice::Refused { .. } => "routing-refused",
            },
            Self::Failed { .. } => "failed",
        }
    }

    /// What is wrong, in plain words.
    pub fn title(&self) -> String {
        match self {
            Self::BrowserUnsupported { missing } => {
                let mut title = String::from("This browser is too old for the phone: it lacks ");
                for (i, gap) in missing.iter().enumerate() {
                    if i > 0 {
                        title.push_str(", ");
                    }
                    title.push_str(gap.words());
                }
                title.push('.');
                title
            }
            Self::SpeakerChoiceUnavailable => {
                "Speaker choice unavailable in this browser: sound plays on the system's default device.".into()
            }
            Self::ConfigInvalid { key, message } => {
                format!("The phone is not set up correctly: {key} {message}")
            }
            Self::NotWebrtcAgent => {
                "You are not signed in as a WebRTC agent, so the phone is off.".into()
            }
            Self::BrokerCredentials { detail } => {
                format!("The phone system refused your sign-in ({detail}).")
            }
            Self::Refused {
                refusal: Refusal::SsoNoPassword,
                detail,
            } => format!("Finesse signed you in with single sign-on, so it gives the phone no password: {detail}."),
            Self::Refused {
                refusal: Refusal::SsoRefused,
                detail,
            } => format!("Your company sign-in did not let the phone in: {detail}."),
            Self::Refused { refusal, .. } => match refusal {
                Refusal::NoWebrtcLine => "Your Wazo user has no WebRTC line, so the phone cannot sign in.",
                Refusal::TooManySessions => "Too many open sessions for your Wazo user, so the phone cannot sign in.",
                Refusal::TooManyDevices => "The phone system refused this device: too many devices on your line.",
                Refusal::SsoSignIn => "The phone needs you to sign in with your company account once more.",
                Refusal::SsoPopupBlocked => "The browser blocked the phone's sign-in window.",
                Refusal::SsoNoAccount => "No phone account is set up for you yet.",
                Refusal::SsoNoPassword | Refusal::SsoRefused => "",
            }
            .into(),
            Self::BrokerUnreachable { .. } => "Cannot reach the phone system.".into(),
            Self::ConnectionLost { retry_in_s, .. } => format!(
                "Connection to the phone system lost. Reconnecting {}.",
                seconds(*retry_in_s)
            ),
            Self::MicrophoneDenied => {
                "The browser blocks the microphone, so calls cannot be answered.".into()
            }
            Self::NoMicrophone => "No microphone found, so calls cannot be answered.".into(),
            Self::PlaybackBlocked => {
                "The browser has not allowed sound yet: you would not hear callers.".into()
            }
            Self::SessionRefused { detail } => format!(
                "The phone system refused to renew your session, and a fresh sign-in failed ({detail})."
            ),
            Self::SessionUnreachable { .. } => {
                "Cannot reach the phone system to renew your session.".into()
            }
            Self::SessionSignIn => {
                "To keep your phone session, sign in with your company account once more.".into()
            }
            Self::AudioReconnecting => "Audio path lost: reconnecting\u{2026}".into(),
            Self::CallQuality(warning) => warning.title(),
            Self::Finesse {
                what,
                status,
                sign_in,
                ..
            } => match (what, sign_in) {
                (FinesseObject::User, true) => {
                    format!("Finesse no longer accepts your sign-in{}, so it did not load your agent details.", http(*status))
                }
                (FinesseObject::User, false) => {
                    format!("Finesse did not load your agent details{}.", http(*status))
                }
                (FinesseObject::Team, _) => format!("Finesse did not load your team{}.", http(*status)),
                (FinesseObject::Services, _) => {
                    "Finesse did not start its services for the phone.".into()
                }
                (FinesseObject::Failover, _) => {
                    "Finesse lost its server and is switching to the other one.".into()
                }
            },
            Self::Routing(notice) => match notice {
                Notice::MadeNotReady(cause) => format!(
                    "You were made Not Ready in Finesse: the phone cannot answer calls ({}).",
                    cause.words()
                ),
                Notice::ReadyWhileDown(cause) => format!(
                    "You are Ready, but the phone cannot answer calls ({}): your calls will ring out.",
                    cause.words()
                ),
                Notice::BackUp => "The phone works again. You are still Not Ready.".into(),
                Notice::MadeReady => "The phone works again: you were made Ready.".into(),
                Notice::Refused { ready, status } => format!(
                    "Finesse did not make you {}{}.",
                    if *ready { "Ready" } else { "Not Ready" },
                    http(*status)
                ),
            },
            Self::Failed { detail } => detail.clone(),
        }
    }

    /// The one thing to do about it.
    pub fn next_step(&self) -> String {
        match self {
            Self::BrowserUnsupported { .. } => format!("Use {SUPPORTED_BROWSERS}."),
            Self::SpeakerChoiceUnavailable => {
                "To choose the speaker, use Chrome, Edge or Firefox 116 or newer.".into()
            }
            Self::ConfigInvalid { key, .. } => {
                format!("Ask your administrator to fix \u{201c}{key}\u{201d} in the gadget's config.json or URL.")
            }
            Self::NotWebrtcAgent => "Sign out of Finesse and sign in as a mobile agent with your WebRTC number as the dial number.".into(),
            Self::BrokerCredentials { .. } => {
                "Ask your supervisor to check the user and password of your WebRTC line.".into()
            }
            Self::Refused { refusal, .. } => match refusal {
                Refusal::NoWebrtcLine => "Ask your administrator to add a WebRTC line to your Wazo user.",
                Refusal::TooManySessions => "Close the phone in other tabs, then reload Finesse; if it happens again, ask your administrator.",
                Refusal::TooManyDevices => "Close the phone in other tabs or browsers: it signs in again by itself. If this lasts, ask your administrator.",
                Refusal::SsoNoPassword => "Ask your administrator to set up the phone for single sign-on (Wazo: domainName with Wazo's SAML; other SIP servers: sipCredentialsUrl).",
                Refusal::SsoSignIn => "Click \u{201c}Sign in to the phone\u{201d}.",
                Refusal::SsoPopupBlocked => "Allow pop-ups for Finesse in the address bar, then click \u{201c}Sign in to the phone\u{201d} again.",
                Refusal::SsoRefused => "Sign out of Finesse and sign in again; if it happens again, ask your administrator.",
                Refusal::SsoNoAccount => "Ask your administrator to add your phone account to the SIP credential service.",
            }
            .into(),
            Self::BrokerUnreachable { retry_in_s, .. } => format!(
                "Retrying {}. If this lasts, check your network or VPN, then tell your supervisor.",
                seconds(*retry_in_s)
            ),
            Self::ConnectionLost { .. } => {
                "No action needed; if this lasts, check your network, then tell your supervisor.".into()
            }
            Self::MicrophoneDenied => "Click the microphone icon in the address bar, choose Allow, then reload Finesse.".into(),
            Self::NoMicrophone => "Plug in your headset; the phone uses it from the next call.".into(),
            Self::PlaybackBlocked => "Click \u{201c}Enable sound\u{201d} once, before your first call.".into(),
            Self::AudioReconnecting => "No action needed: the call continues once the audio is back, or ends by itself within seconds.".into(),
            Self::SessionRefused { .. } => "Calls still come in for now: sign out of Finesse and sign in again; if that fails, call your supervisor.".into(),
            Self::SessionUnreachable { retry_in_s, .. } => format!(
                "Calls still come in for now. Retrying {}; if this lasts, check your network or VPN, then tell your supervisor.",
                seconds(*retry_in_s)
            ),
            Self::SessionSignIn => "Calls still come in for now. Click \u{201c}Sign in to the phone\u{201d}.".into(),
            Self::CallQuality(warning) => warning.next_step().into(),
            Self::Finesse { sign_in: true, .. } => "Sign out of Finesse and sign in again.".into(),
            Self::Finesse {
                what: FinesseObject::Failover,
                ..
            } => "No action needed: calls are answered as your last Finesse state allows, for up to 2 minutes.".into(),
            Self::Finesse {
                retry_in_s: Some(s),
                ..
            } => format!(
                "Retrying {}; if it lasts, sign out of Finesse and in again.",
                seconds(Some(*s))
            ),
            Self::Finesse { .. } | Self::Failed { .. } => {
                "Reload Finesse; if it happens again, tell your supervisor.".into()
            }
            Self::Routing(notice) => match notice {
                Notice::MadeNotReady(_) => "Fix what the bar says; you can go Ready here once the phone works again.",
                Notice::ReadyWhileDown(_) => "Go Not Ready in Finesse until the phone works again.",
                Notice::BackUp => "Go Ready when you want calls.",
                Notice::MadeReady => "No action needed.",
                Notice::Refused { .. } => "Set your state in Finesse yourself.",
            }
            .into(),
        }
    }

    /// True when the problem explains the phone's registration state (the
    /// status detail line would only repeat it).
    pub fn explains_registration(&self) -> bool {
        !matches!(
            self,
            Self::MicrophoneDenied
                | Self::NoMicrophone
                | Self::PlaybackBlocked
                | Self::SpeakerChoiceUnavailable
                | Self::SessionRefused { .. }
                | Self::SessionUnreachable { .. }
                | Self::SessionSignIn
                | Self::AudioReconnecting
                | Self::CallQuality(_)
                | Self::Finesse { .. }
                | Self::Routing(_)
        )
    }

    /// How serious: `error` stops calls, `warn` may fix itself.
    pub fn severity(&self) -> &'static str {
        match self {
            Self::ConnectionLost { .. }
            | Self::BrokerUnreachable { .. }
            | Self::SessionUnreachable { .. }
            | Self::AudioReconnecting
            | Self::CallQuality(_)
            | Self::Finesse {
                retry_in_s: Some(_),
                ..
            }
            | Self::Finesse {
                what: FinesseObject::Failover,
                ..
            }
            | Self::Routing(Notice::MadeReady) => "warn",
            Self::PlaybackBlocked
            | Self::Refused {
                refusal: Refusal::SsoSignIn | Refusal::SsoPopupBlocked,
                ..
            }
            | Self::SessionSignIn
            | Self::SpeakerChoiceUnavailable
            | Self::Routing(Notice::BackUp | Notice::MadeNotReady(_)) => "action",
            _ => "error",
        }
    }

    /// The technical detail for support (shown as a tooltip; the trace has it too).
    pub fn detail(&self) -> Option<&str> {
        match self {
            Self::Refused { detail, .. } if detail.is_empty() => None,
            Self::BrokerUnreachable { detail, .. }
            | Self::Refused { detail, .. }
            | Self::ConnectionLost { detail, .. }
            | Self::SessionUnreachable { detail, .. } => Some(detail),
            _ => None,
        }
    }

    /// A button that solves it from the bar, if one can.
    pub fn action(&self) -> Option<(&'static str, UserCommand)> {
        match self {
            Self::PlaybackBlocked => Some(("Enable sound", UserCommand::EnableAudio)),
            Self::Routing(Notice::BackUp) => Some(("Go Ready", UserCommand::GoReady)),
            Self::Refused {
                refusal: Refusal::SsoSignIn | Refusal::SsoPopupBlocked,
                ..
            }
            | Self::SessionSignIn => Some(("Sign in to the phone", UserCommand::SignInToPhone)),
            _ => None,
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ProblemNoticeProps {
    pub problems: Vec<Problem>,
    #[prop_or_default]
    pub on_command: Callback<UserCommand>,
}

view_component!(
    ProblemNotice,
    problem_notice_component,
    ProblemNoticeProps,
    problem_notice
);

/// The problems list: each with its words, its next step, and maybe a button.
pub fn problem_notice(props: &ProblemNoticeProps) -> Html {
    if props.problems.is_empty() {
        return Html::default();
    }
    html! {
        <ul class="ttec-problems" aria-label="Phone problems">
            { for props.problems.iter().map(|problem| {
                let action = problem.action().map(|(label, command)| {
                    let cb = props.on_command.clone();
                    let onclick = Callback::from(move |_| cb.emit(command.clone()));
                    html! { <button type="button" class="ttec-btn ttec-btn--primary ttec-problem__action" {onclick}>{ label }</button> }
                });
                let severity = problem.severity();
                let role = if severity == "warn" { "status" } else { "alert" };
                html! {
                    <li ~className={format!("ttec-problem ttec-problem--{severity}")}
                        data-problem={problem.code()} role={role} title={problem.detail().map(str::to_string)}>
                        <span class="ttec-problem__icon" aria-hidden="true">{ if severity == "warn" && !matches!(problem, Problem::CallQuality(_)) { "\u{21bb}" } else { "!" } }</span>
                        <span class="ttec-problem__text">
                            <span class="ttec-problem__title">{ problem.title() }</span>
                            { " " }
                            <span class="ttec-problem__next">{ problem.next_step() }</span>
                        </span>
                        { for action }
                    </li>
                }
            }) }
        </ul>
    }
}
