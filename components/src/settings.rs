//! The settings popover: microphone and speaker choice, the audio test (test
//! sound on the chosen speaker + live microphone level, without registering or
//! calling anyone), and what auto-answer will do.

use wasm_bindgen::JsCast;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::auto_answer::describe as describe_auto_answer;
use crate::devices::{DeviceKind, Devices};
use crate::store::{AudioTest, AutoAnswerStatus, UserCommand};

#[derive(Properties, PartialEq)]
pub struct SettingsPanelProps {
    pub devices: Devices,
    pub audio_test: AudioTest,
    pub auto_answer: AutoAnswerStatus,
    pub tone: bool,
    /// A call is up: the audio test would fight it for the microphone.
    #[prop_or_default]
    pub in_call: bool,
    #[prop_or_default]
    pub on_command: Callback<UserCommand>,
}

/// Devices worth listing: the browser's aliases (`default`, `communications`)
/// are covered by the "Default" entry.
fn choices(devices: &Devices, kind: DeviceKind) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), format!("Default {}", kind.noun()))];
    out.extend(
        devices
            .list(kind)
            .iter()
            .filter(|d| d.id != "default" && d.id != "communications" && !d.id.is_empty())
            .map(|d| (d.id.clone(), devices.label_of(kind, &d.id))),
    );
    out
}

fn device_select(props: &SettingsPanelProps, kind: DeviceKind, disabled: bool) -> Html {
    let id = format!("ttec-select-{}", kind.noun());
    let chosen = props.devices.chosen(kind).to_string();
    let onchange = {
        let cb = props.on_command.clone();
        Callback::from(move |event: Event| {
            if let Some(select) = event
                .target()
                .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
            {
                cb.emit(UserCommand::ChooseDevice {
                    kind,
                    id: select.value(),
                });
            }
        })
    };
    let label = match kind {
        DeviceKind::Microphone => "Microphone",
        DeviceKind::Speaker => "Speaker",
    };
    html! {
        <div class="ttec-field">
            <label for={id.clone()}>{ label }</label>
            <select id={id} ~className={format!("ttec-select ttec-select--{}", kind.noun())}
                {onchange} {disabled}>
                { for choices(&props.devices, kind).into_iter().map(|(value, text)| {
                    let selected = value == chosen;
                    html! { <option value={value} {selected}>{ text }</option> }
                }) }
            </select>
        </div>
    }
}

/// What the agent should know about the devices, one sentence each.
fn hints(devices: &Devices) -> Vec<String> {
    let mut out = Vec::new();
    if !devices.speaker_selectable {
        out.push(
            "This browser cannot choose the speaker: sound plays on the system's default device."
                .into(),
        );
    }
    let labels_hidden = devices.listed
        && devices
            .microphones
            .iter()
            .chain(&devices.speakers)
            .all(|d| d.label.trim().is_empty());
    if labels_hidden {
        out.push("Device names appear once you allow the microphone: run the audio test.".into());
    }
    for kind in [DeviceKind::Microphone, DeviceKind::Speaker] {
        if let Some((chosen, instead)) = devices.missing(kind) {
            out.push(format!(
                "{chosen} is not connected: {instead} plays instead until it is back."
            ));
        }
    }
    out
}

view_component!(
    SettingsPanel,
    settings_panel_component,
    SettingsPanelProps,
    settings_panel
);

pub fn settings_panel(props: &SettingsPanelProps) -> Html {
    let command = |c: UserCommand| {
        let cb = props.on_command.clone();
        Callback::from(move |_: MouseEvent| cb.emit(c.clone()))
    };
    let (running, level, playing) = match &props.audio_test {
        AudioTest::Running { level, playing } => (true, *level, *playing),
        _ => (false, 0, false),
    };
    html! {
        <section class="ttec-panel ttec-settings" aria-label="Phone settings">
            <div class="ttec-panel__head">
                <h2 class="ttec-panel__title">{ "Audio and auto-answer" }</h2>
                <button type="button" class="ttec-btn ttec-panel__close" aria-label="Close settings"
                    onclick={command(UserCommand::OpenPanel(None))}>{ "Close" }</button>
            </div>
            <div class="ttec-settings__devices">
                { device_select(props, DeviceKind::Microphone, false) }
                { device_select(props, DeviceKind::Speaker, !props.devices.speaker_selectable) }
            </div>
            { for hints(&props.devices).into_iter().map(|hint| html! { <p class="ttec-hint">{ hint }</p> }) }
            if props.devices.speaker_selectable && props.devices.speaker_picker
                && props.devices.speakers.is_empty() {
                <p class="ttec-hint">
                    <button type="button" class="ttec-btn ttec-settings__pick-speaker"
                        onclick={command(UserCommand::PickSpeaker)}>{ "Choose speaker\u{2026}" }</button>
                    { " The browser lists speakers once you allow the microphone, or choose one here." }
                </p>
            }
            <div class="ttec-audiotest">
                if running {
                    <button type="button" class="ttec-btn ttec-audiotest__button" onclick={command(UserCommand::StopAudioTest)}>
                        { "Stop test" }
                    </button>
                } else {
                    <button type="button" class="ttec-btn ttec-audiotest__button" disabled={props.in_call}
                        onclick={command(UserCommand::StartAudioTest)}>
                        { "Test audio" }
                    </button>
                }
                // A native <meter>, not a bar sized by a `style` attribute: gadget.html's CSP
                // (`style-src 'self'`) blocks inline style attributes (`style-src-attr`).
                <meter class="ttec-meter" aria-label="Microphone level" min="0" max="100"
                    value={level.to_string()}></meter>
                <span class="ttec-audiotest__status" aria-live="polite">
                    { match &props.audio_test {
                        _ if props.in_call && !running => "Not available during a call.".to_string(),
                        AudioTest::Idle => "Plays a short sound on the speaker and shows your microphone level. Nobody is called.".to_string(),
                        AudioTest::Running { .. } if playing => "Playing the test sound\u{2026} speak: the bar should move.".to_string(),
                        AudioTest::Running { .. } => "Speak: the bar should move.".to_string(),
                        AudioTest::Failed(reason) => reason.clone(),
                    } }
                </span>
            </div>
            <p class="ttec-settings__autoanswer">
                { describe_auto_answer(&props.auto_answer) }
                { if props.tone { ". Answer tone on." } else { ". Answer tone off." } }
                { " Set by your administrator." }
            </p>
        </section>
    }
}
