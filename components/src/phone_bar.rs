//! The bar in the Finesse header. [`PhoneBar`] reads the store from the
//! context; [`PhoneBarView`] renders any [`PhoneState`] (the gallery and the
//! supervisor preview use it read-only).
//!
//! One row, 40–60 px, at 600 px: state dot + word, WebRTC number, the call
//! (or the incoming banner), auto-answer status, and the Settings /
//! Diagnostics (/ Dialpad in dev builds) buttons. Problems, the device notice
//! and the one open popover go below it; the app calls
//! `gadgets.window.adjustHeight()` when that height changes.

use std::rc::Rc;

use yew::prelude::*;

use crate::auto_answer::{auto_answer_controls, AutoAnswerControlsProps};
use crate::call_controls::{call_controls, CallControlsProps};
use crate::diagnostics_panel::{diagnostics_panel, DiagnosticsPanelProps};
use crate::incoming_call::{incoming_call_banner, IncomingCallBannerProps};
use crate::problems::{problem_notice, problems, ProblemNoticeProps};
use crate::quality_indicator::{quality_indicator, QualityIndicatorProps};
use crate::registration_status::{registration_status, RegistrationStatusProps};
use crate::settings::{settings_panel, SettingsPanelProps};
use crate::store::{AutoAnswerStatus, CallPhase, Panel, PhoneState, Registration, UserCommand};
use crate::StoreContext;

#[function_component(PhoneBar)]
pub fn phone_bar() -> Html {
    let Some(store) = use_context::<StoreContext>() else {
        return html! { <div role="alert">{ "TTECPhone: store missing" }</div> };
    };
    phone_bar_view(&PhoneBarViewProps {
        state: Rc::new((*store.state).clone()),
        commands: store.commands.clone(),
    })
}

#[derive(Properties, PartialEq)]
pub struct PhoneBarViewProps {
    pub state: Rc<PhoneState>,
    /// Where the agent's commands go (a no-op for read-only previews).
    #[prop_or_default]
    pub commands: Callback<UserCommand>,
}

fn panel_button(
    label: &'static str,
    class: &'static str,
    panel: Panel,
    open: Option<Panel>,
    commands: &Callback<UserCommand>,
) -> Html {
    let is_open = open == Some(panel);
    let onclick = {
        let cb = commands.clone();
        Callback::from(move |_| cb.emit(UserCommand::OpenPanel((!is_open).then_some(panel))))
    };
    html! {
        <button type="button" ~className={format!("ttec-btn ttec-btn--tool {class}")}
            aria-expanded={is_open.to_string()} aria-haspopup="true" {onclick}>
            { label }
        </button>
    }
}

view_component!(
    PhoneBarView,
    phone_bar_view_component,
    PhoneBarViewProps,
    phone_bar_view
);

pub fn phone_bar_view(props: &PhoneBarViewProps) -> Html {
    let state = &*props.state;
    let commands = props.commands.clone();
    let on_answer = commands.reform(|call| UserCommand::Answer { call });
    let on_reject = commands.reform(|call| UserCommand::Reject { call });
    let on_toggle = commands.reform(UserCommand::SetAutoAnswer);
    let on_mute = commands.reform(|(call, muted)| UserCommand::Mute { call, muted });
    let on_hang_up = commands.reform(|call| UserCommand::HangUp { call });
    let status = state.auto_answer_status();
    let problems = problems(state);
    let in_call = state.call.is_some();
    let ringing = state
        .call
        .as_ref()
        .is_some_and(|c| matches!(c.phase, CallPhase::Ringing { .. } | CallPhase::Answering));
    // The detail line only while it says more than the word (and nothing else
    // needs the room); "Registered" needs no detail.
    let show_detail = !problems.iter().any(|p| p.explains_registration())
        && !matches!(state.registration, Registration::Registered { .. });
    let registered = matches!(
        state.registration,
        Registration::Registered { .. } | Registration::Reconnecting { .. }
    );
    let dismiss = commands.reform(|_: MouseEvent| UserCommand::DismissDeviceNotice);
    // Escape closes the open popover from anywhere inside it.
    let close_on_escape = {
        let cb = commands.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                cb.emit(UserCommand::OpenPanel(None));
            }
        })
    };
    let panel = match state.panel {
        Some(Panel::Settings) => settings_panel(&SettingsPanelProps {
            devices: state.devices.clone(),
            audio_test: state.audio_test.clone(),
            auto_answer: status.clone(),
            tone: state.auto_answer.tone,
            in_call,
            on_command: commands.clone(),
        }),
        Some(Panel::Diagnostics) => diagnostics_panel(&DiagnosticsPanelProps {
            trace: state.trace.clone(),
            on_command: commands.clone(),
        }),
        #[cfg(feature = "outcall")]
        Some(Panel::Dialpad) if state.outcalling() => html! {
            <crate::dialpad::Dialpad busy={in_call} on_command={commands.clone()} />
        },
        _ => Html::default(),
    };
    html! {
        <div ~className={if in_call { "ttec-bar ttec-bar--call" } else { "ttec-bar" }}>
            <div class="ttec-bar__row">
                // During a call the call is the status (a lost connection shows below).
                if !in_call {
                    { registration_status(&RegistrationStatusProps {
                        registration: state.registration.clone(),
                        webrtc_number: state.agent.webrtc_number.clone(),
                        now: state.now,
                        show_detail,
                    }) }
                }
                { incoming_call_banner(&IncomingCallBannerProps {
                    call: state.call.clone(),
                    now: state.now,
                    manual: matches!(status, AutoAnswerStatus::Off),
                    on_answer,
                    on_reject,
                }) }
                { call_controls(&CallControlsProps {
                    call: state.call.clone(),
                    elapsed_s: state.call_elapsed_s(),
                    on_mute,
                    on_hang_up,
                }) }
                if in_call {
                    { quality_indicator(&QualityIndicatorProps { quality: state.quality }) }
                }
                // Auto-answer matters once the phone can take calls.
                if !in_call && registered {
                    { auto_answer_controls(&AutoAnswerControlsProps {
                        status: status.clone(),
                        tone: state.auto_answer.tone,
                        dev_features: state.dev_features,
                        on_toggle,
                    }) }
                }
                // While a call rings, the banner has the row to itself.
                if !ringing {
                <div class="ttec-bar__tools">
                    { panel_button("Settings", "ttec-tool--settings", Panel::Settings, state.panel, &commands) }
                    { panel_button("Diagnostics", "ttec-tool--diagnostics", Panel::Diagnostics, state.panel, &commands) }
                    if state.outcalling() {
                        { panel_button("Dialpad", "ttec-tool--dialpad", Panel::Dialpad, state.panel, &commands) }
                    }
                </div>
                }
            </div>
            { problem_notice(&ProblemNoticeProps { problems, on_command: commands.clone() }) }
            if let Some(notice) = &state.devices.notice {
                <div class="ttec-notice" role="status">
                    <span class="ttec-notice__text">{ notice.clone() }</span>
                    <button type="button" class="ttec-btn ttec-notice__dismiss" onclick={dismiss}>{ "OK" }</button>
                </div>
            }
            if state.panel.is_some() {
                <div class="ttec-bar__popover" onkeydown={close_on_escape}>{ panel }</div>
            }
            <div class="ttec-sr-only ttec-live" aria-live="polite" aria-atomic="true">
                { state.announcement.clone() }
            </div>
        </div>
    }
}
