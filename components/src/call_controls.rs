//! The active call: caller, call timer, held indicator, mute and hang-up.

use yew::prelude::*;

use crate::store::{Call, CallPhase};

#[derive(Properties, PartialEq)]
pub struct CallControlsProps {
    pub call: Option<Call>,
    /// Seconds since the call was answered.
    pub elapsed_s: Option<u64>,
    #[prop_or_default]
    pub on_mute: Callback<(String, bool)>,
    #[prop_or_default]
    pub on_hang_up: Callback<String>,
}

/// `m:ss`, or `h:mm:ss` past an hour.
pub fn format_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds / 60) % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

view_component!(
    CallControls,
    call_controls_component,
    CallControlsProps,
    call_controls
);

pub fn call_controls(props: &CallControlsProps) -> Html {
    let Some(call) = props.call.as_ref() else {
        return Html::default();
    };
    let hang_up = {
        let (cb, id) = (props.on_hang_up.clone(), call.id.clone());
        Callback::from(move |_| cb.emit(id.clone()))
    };
    if call.phase == CallPhase::Dialing {
        return html! {
            <div class="ttec-call" aria-label="Current call">
                <span class="ttec-call__caller">{ call.caller_label() }</span>
                <span class="ttec-call__timer">{ "Calling\u{2026}" }</span>
                <button type="button" class="ttec-btn ttec-btn--reject ttec-call__hangup" onclick={hang_up}>
                    { "Hang up" }
                </button>
            </div>
        };
    }
    let CallPhase::Active { held, muted, .. } = call.phase else {
        return Html::default();
    };
    let mute = {
        let (cb, id) = (props.on_mute.clone(), call.id.clone());
        Callback::from(move |_| cb.emit((id.clone(), !muted)))
    };
    html! {
        <div class="ttec-call" aria-label="Current call">
            <span class="ttec-call__caller" title={call.caller_label()}>{ call.caller_label() }</span>
            <span class="ttec-call__timer" aria-label="Call duration">
                { format_duration(props.elapsed_s.unwrap_or(0)) }
            </span>
            if held {
                <span class="ttec-call__held" role="status">{ "On hold" }</span>
            }
            <button type="button" class="ttec-btn ttec-call__mute" aria-pressed={muted.to_string()} onclick={mute}>
                { if muted { "Unmute" } else { "Mute" } }
            </button>
            <button type="button" class="ttec-btn ttec-btn--reject ttec-call__hangup" onclick={hang_up}>
                { "Hang up" }
            </button>
        </div>
    }
}
