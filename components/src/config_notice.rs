//! Configuration problems in plain words, naming the key to fix.

use yew::prelude::*;

use crate::store::ConfigProblem;

#[derive(Properties, PartialEq)]
pub struct ConfigNoticeProps {
    pub problems: Vec<ConfigProblem>,
}

/// [`config_notice`] as a component, for hosts that mount it on its own (the tests).
/// The bar calls the view function directly: every component type costs
/// about 2 KB of wasm in Yew's generic machinery.
#[function_component(ConfigNotice)]
pub fn config_notice_component(props: &ConfigNoticeProps) -> Html {
    config_notice(props)
}

pub fn config_notice(props: &ConfigNoticeProps) -> Html {
    if props.problems.is_empty() {
        return Html::default();
    }
    html! {
        <div class="ttec-config-error" role="alert">
            <span class="ttec-config-error__title">{ "Phone configuration error — contact your administrator." }</span>
            <ul>
                { for props.problems.iter().map(|p| html! {
                    <li><code>{ p.key.clone() }</code>{ ": " }{ p.message.clone() }</li>
                }) }
            </ul>
        </div>
    }
}
