//! Phone state dot + word, the WebRTC number, and one line of detail.

use yew::prelude::*;

use crate::store::{Millis, Registration};

#[derive(Properties, PartialEq)]
pub struct RegistrationStatusProps {
    pub registration: Registration,
    pub webrtc_number: Option<String>,
    /// The page clock, for "retrying in N s".
    pub now: Millis,
    /// Show the one-line detail (the bar hides it during calls and problems).
    #[prop_or(true)]
    pub show_detail: bool,
}

/// The one word the agent reads, the CSS tone for the dot, and the detail line.
pub fn describe(registration: &Registration, now: Millis) -> (&'static str, &'static str, String) {
    match registration {
        Registration::Starting => ("Starting", "idle", "Waiting for Finesse…".into()),
        Registration::Connecting => ("Connecting", "pending", "Connecting to the phone system…".into()),
        Registration::Registering => ("Connecting", "pending", "Registering the phone…".into()),
        Registration::Registered { .. } => ("Registered", "ok", "Ready to receive calls.".into()),
        Registration::Reconnecting { retry_at, reason } => {
            let when = match retry_at {
                Some(at) if *at > now => format!("Retrying in {} s.", (at - now).div_ceil(1000)),
                _ => "Retrying now.".into(),
            };
            ("Reconnecting", "warn", format!("Connection lost ({reason}). {when}"))
        }
        Registration::Unregistered { reason } => ("Unregistered", "idle", reason.clone()),
        Registration::AuthFailed { reason } => (
            "Error",
            "error",
            format!("The phone system refused the sign-in ({reason}). Ask your supervisor to check your WebRTC line."),
        ),
        Registration::Refused { refusal, .. } => (
            "Error",
            "error",
            crate::problems::Problem::refused(*refusal).title(),
        ),
        Registration::Failed { reason } => ("Error", "error", reason.clone()),
    }
}

view_component!(
    RegistrationStatus,
    registration_status_component,
    RegistrationStatusProps,
    registration_status
);

pub fn registration_status(props: &RegistrationStatusProps) -> Html {
    let (word, tone, detail) = describe(&props.registration, props.now);
    html! {
        <div class="ttec-registration" role="status" aria-label="Phone status">
            <span ~className={format!("ttec-dot ttec-dot--{tone}")} aria-hidden="true"></span>
            <span class="ttec-registration__word" data-state={tone}>{ word }</span>
            if let Some(number) = &props.webrtc_number {
                <span class="ttec-registration__number" title="Your WebRTC number">{ number.clone() }</span>
            }
            if props.show_detail {
                <span class="ttec-registration__detail">{ detail }</span>
            }
        </div>
    }
}
