//! The bar in the Finesse header: reads the store and hands each component
//! its slice and callbacks.

use yew::prelude::*;

use crate::store::{AutoAnswerStatus, UserCommand};
use crate::{
    AutoAnswerControls, CallControls, ConfigNotice, IncomingCallBanner, MediaNotice,
    RegistrationStatus, StoreContext,
};

#[function_component(PhoneBar)]
pub fn phone_bar() -> Html {
    let Some(store) = use_context::<StoreContext>() else {
        return html! { <div role="alert">{ "TTECPhone: store missing" }</div> };
    };
    let state = &*store.state;
    let commands = store.commands.clone();
    let on_answer = commands.reform(|call| UserCommand::Answer { call });
    let on_reject = commands.reform(|call| UserCommand::Reject { call });
    let on_toggle = commands.reform(UserCommand::SetAutoAnswer);
    let on_mute = commands.reform(|(call, muted)| UserCommand::Mute { call, muted });
    let on_hang_up = commands.reform(|call| UserCommand::HangUp { call });
    let status = state.auto_answer_status();
    html! {
        <div class="ttec-bar">
            <ConfigNotice problems={state.config_problems.clone()} />
            <RegistrationStatus registration={state.registration.clone()}
                webrtc_number={state.agent.webrtc_number.clone()} now={state.now} />
            <MediaNotice problem={state.media_problem} />
            <IncomingCallBanner call={state.call.clone()} now={state.now}
                manual={matches!(status, AutoAnswerStatus::Off)} {on_answer} {on_reject} />
            <CallControls call={state.call.clone()} elapsed_s={state.call_elapsed_s()} {on_mute} {on_hang_up} />
            <AutoAnswerControls status={status} tone={state.auto_answer.tone}
                dev_features={state.dev_features} {on_toggle} />
            <div class="ttec-sr-only" aria-live="polite">
                { state.last_call_end.clone().unwrap_or_default() }
            </div>
        </div>
    }
}
