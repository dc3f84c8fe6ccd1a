//! One line when the microphone could not be opened for a call (blocked or
//! missing): what happened and the one thing the agent must do. The call itself
//! was rejected with 480 by the SIP core.

use yew::prelude::*;

use crate::store::MediaProblem;

#[derive(Properties, PartialEq)]
pub struct MediaNoticeProps {
    pub problem: Option<MediaProblem>,
}

#[function_component(MediaNotice)]
pub fn media_notice(props: &MediaNoticeProps) -> Html {
    let Some(problem) = props.problem else {
        return Html::default();
    };
    let kind = match problem {
        MediaProblem::MicrophoneBlocked => "blocked",
        MediaProblem::NoMicrophone => "missing",
    };
    html! {
        <div class="ttec-media-problem" role="alert" data-problem={kind}>
            { problem.message() }
        </div>
    }
}
