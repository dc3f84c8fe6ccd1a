//! Development-only outcalling: a dialpad that exists only when the
//! configuration enables dev features. It sends the number to the SIP core's
//! UAC path (`Command::Call`); production agents are called, never call.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::store::UserCommand;

#[derive(Properties, PartialEq)]
pub struct DialpadProps {
    /// A call is up: no second one.
    #[prop_or_default]
    pub busy: bool,
    #[prop_or_default]
    pub on_command: Callback<UserCommand>,
}

/// Keeps what a SIP user part may hold from a typed number.
pub fn clean_number(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | '+'))
        .collect()
}

#[function_component(Dialpad)]
pub fn dialpad(props: &DialpadProps) -> Html {
    let number = use_state(String::new);
    let input_ref = use_node_ref();
    let oninput = {
        let number = number.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                number.set(clean_number(&input.value()));
            }
        })
    };
    let digit = |d: char| {
        let number = number.clone();
        let input_ref = input_ref.clone();
        Callback::from(move |_: MouseEvent| {
            number.set(format!("{}{d}", *number));
            if let Some(input) = input_ref.cast::<HtmlInputElement>() {
                let _ = input.focus();
            }
        })
    };
    let call = {
        let (number, cb, busy) = (number.clone(), props.on_command.clone(), props.busy);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if !busy && !number.is_empty() {
                cb.emit(UserCommand::Call {
                    target: (*number).clone(),
                });
            }
        })
    };
    let close = {
        let cb = props.on_command.clone();
        Callback::from(move |_: MouseEvent| cb.emit(UserCommand::OpenPanel(None)))
    };
    html! {
        <section class="ttec-panel ttec-dialpad" aria-label="Dialpad (development only)">
            <div class="ttec-panel__head">
                <h2 class="ttec-panel__title">{ "Dialpad \u{2014} development only" }</h2>
                <button type="button" class="ttec-btn ttec-panel__close" aria-label="Close dialpad" onclick={close}>{ "Close" }</button>
            </div>
            <form class="ttec-dialpad__form" onsubmit={call}>
                <label for="ttec-dial-number">{ "Number" }</label>
                <input id="ttec-dial-number" class="ttec-input ttec-dialpad__number" type="tel"
                    inputmode="tel" autocomplete="off" value={(*number).clone()} {oninput} ref={input_ref.clone()} />
                <button type="submit" class="ttec-btn ttec-btn--answer ttec-dialpad__call"
                    disabled={props.busy || number.is_empty()}>{ "Call" }</button>
            </form>
            <div class="ttec-dialpad__keys" role="group" aria-label="Digits">
                { for "123456789*0#".chars().map(|d| html! {
                    <button type="button" class="ttec-btn ttec-dialpad__key" aria-label={format!("Digit {d}")}
                        onclick={digit(d)}>{ d }</button>
                }) }
            </div>
        </section>
    }
}
