//! The incoming-call banner: visible from INVITE to answer, with caller id and
//! the auto-answer countdown; manual Answer/Reject only when auto-answer is off
//! (QA builds).

use yew::prelude::*;

use crate::store::{Call, CallPhase, Millis};

#[derive(Properties, PartialEq)]
pub struct IncomingCallBannerProps {
    pub call: Option<Call>,
    pub now: Millis,
    /// Show Answer/Reject buttons (auto-answer off in a QA build).
    #[prop_or_default]
    pub manual: bool,
    #[prop_or_default]
    pub on_answer: Callback<String>,
    #[prop_or_default]
    pub on_reject: Callback<String>,
}

view_component!(
    IncomingCallBanner,
    incoming_call_banner_component,
    IncomingCallBannerProps,
    incoming_call_banner
);

pub fn incoming_call_banner(props: &IncomingCallBannerProps) -> Html {
    let Some(call) = props.call.as_ref() else {
        return Html::default();
    };
    let progress = match call.phase {
        CallPhase::Ringing {
            answer_at: Some(at),
        } if at > props.now => {
            format!("Answering in {} s", (at - props.now).div_ceil(1000))
        }
        CallPhase::Ringing { answer_at: Some(_) } | CallPhase::Answering => {
            "Answering…".to_string()
        }
        CallPhase::Ringing { answer_at: None } => "Ringing".to_string(),
        // Once answered the banner gives way to the call controls.
        CallPhase::Active { .. } | CallPhase::Dialing => return Html::default(),
    };
    let manual = props.manual && matches!(call.phase, CallPhase::Ringing { answer_at: None });
    let answer = {
        let (cb, id) = (props.on_answer.clone(), call.id.clone());
        Callback::from(move |_| cb.emit(id.clone()))
    };
    let reject = {
        let (cb, id) = (props.on_reject.clone(), call.id.clone());
        Callback::from(move |_| cb.emit(id.clone()))
    };
    html! {
        <div class="ttec-incoming" role="alert" aria-label="Incoming call">
            <span class="ttec-incoming__title">{ "Incoming call" }</span>
            <span class="ttec-incoming__caller" title={call.caller_label()}>{ call.caller_label() }</span>
            <span class="ttec-incoming__progress">{ progress }</span>
            if manual {
                <button type="button" class="ttec-btn ttec-btn--answer" onclick={answer}>{ "Answer" }</button>
                <button type="button" class="ttec-btn ttec-btn--reject" onclick={reject}>{ "Reject" }</button>
            }
        </div>
    }
}
