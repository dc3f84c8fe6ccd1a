//! Auto-answer controls: what auto-answer will do right now, and (QA builds
//! only) a switch to turn it off for manual answering.

use yew::prelude::*;

use crate::store::AutoAnswerStatus;

#[derive(Properties, PartialEq)]
pub struct AutoAnswerControlsProps {
    pub status: AutoAnswerStatus,
    pub tone: bool,
    /// Development-only features enabled: show the on/off switch.
    #[prop_or_default]
    pub dev_features: bool,
    #[prop_or_default]
    pub on_toggle: Callback<bool>,
}

/// `1500` → `1.5`, `2000` → `2`, `250` → `0.25` (no float formatting in the gadget).
fn seconds(ms: u32) -> String {
    let (whole, part) = (ms / 1000, ms % 1000);
    if part == 0 {
        return whole.to_string();
    }
    let digits = format!("{part:03}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// The sentence the agent reads.
pub fn describe(status: &AutoAnswerStatus) -> String {
    match status {
        AutoAnswerStatus::On { delay_ms: 0 } => "Auto-answer on".into(),
        AutoAnswerStatus::On { delay_ms } => {
            format!("Auto-answer on, after {} s", seconds(*delay_ms))
        }
        AutoAnswerStatus::Paused { state } => {
            format!("Auto-answer paused while {}", state.label())
        }
        AutoAnswerStatus::Off => "Auto-answer off (QA): answer calls by hand".into(),
    }
}

view_component!(
    AutoAnswerControls,
    auto_answer_controls_component,
    AutoAnswerControlsProps,
    auto_answer_controls
);

pub fn auto_answer_controls(props: &AutoAnswerControlsProps) -> Html {
    let tone = match &props.status {
        AutoAnswerStatus::On { .. } => "on",
        AutoAnswerStatus::Paused { .. } => "paused",
        AutoAnswerStatus::Off => "off",
    };
    let enabled = !matches!(props.status, AutoAnswerStatus::Off);
    let toggle = {
        let cb = props.on_toggle.clone();
        Callback::from(move |_| cb.emit(!enabled))
    };
    html! {
        <div class="ttec-autoanswer" data-state={tone}>
            <span class="ttec-autoanswer__status">{ describe(&props.status) }</span>
            if props.tone {
                <span class="ttec-autoanswer__tone ttec-sr-only">{ "Answer tone on" }</span>
            }
            if props.dev_features {
                <button type="button" class="ttec-btn ttec-autoanswer__toggle"
                    role="switch" aria-checked={enabled.to_string()}
                    aria-label="Auto-answer" onclick={toggle}>
                    { if enabled { "Turn off" } else { "Turn on" } }
                </button>
            }
        </div>
    }
}
