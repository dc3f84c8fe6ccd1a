//! The diagnostics panel (hidden until opened): the last SIP messages and
//! state changes, already redacted, with copy and download as text.

use std::rc::Rc;

use yew::prelude::*;

use crate::diagnostics::{format_timestamp, kind_label};
use crate::store::{TraceEntry, UserCommand, TRACE_CAPACITY};

#[derive(Properties, PartialEq)]
pub struct DiagnosticsPanelProps {
    pub trace: Vec<Rc<TraceEntry>>,
    #[prop_or_default]
    pub on_command: Callback<UserCommand>,
}

view_component!(
    DiagnosticsPanel,
    diagnostics_panel_component,
    DiagnosticsPanelProps,
    diagnostics_panel
);

pub fn diagnostics_panel(props: &DiagnosticsPanelProps) -> Html {
    let command = |c: UserCommand| {
        let cb = props.on_command.clone();
        Callback::from(move |_: MouseEvent| cb.emit(c.clone()))
    };
    html! {
        <section class="ttec-panel ttec-diagnostics" aria-label="Diagnostics">
            <div class="ttec-panel__head">
                <h2 class="ttec-panel__title">
                    { format!("Diagnostics: last {} of at most {TRACE_CAPACITY} events", props.trace.len()) }
                </h2>
                <button type="button" class="ttec-btn ttec-diagnostics__copy" onclick={command(UserCommand::CopyTrace)}>{ "Copy" }</button>
                <button type="button" class="ttec-btn ttec-diagnostics__download" onclick={command(UserCommand::DownloadTrace)}>{ "Download" }</button>
                <button type="button" class="ttec-btn ttec-panel__close" aria-label="Close diagnostics"
                    onclick={command(UserCommand::OpenPanel(None))}>{ "Close" }</button>
            </div>
            <p class="ttec-hint">{ "Passwords, tokens and authorization values are removed. Send the file to support when asked." }</p>
            <ol class="ttec-trace" tabindex="0" aria-label="Trace, newest last">
                { for props.trace.iter().map(|entry| html! {
                    <li class="ttec-trace__entry" data-kind={kind_label(entry.kind)}>
                        <span class="ttec-trace__meta">{ format!("{} {}", format_timestamp(entry.at), kind_label(entry.kind)) }</span>
                        <pre class="ttec-trace__text">{ entry.text.trim_end().to_string() }</pre>
                    </li>
                }) }
            </ol>
        </section>
    }
}
