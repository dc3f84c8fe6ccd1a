//! Configuration problems in plain words, naming the key to fix.

use yew::prelude::*;

use crate::store::ConfigProblem;

#[derive(Properties, PartialEq)]
pub struct ConfigNoticeProps {
    pub problems: Vec<ConfigProblem>,
}

view_component!(
    ConfigNotice,
    config_notice_component,
    ConfigNoticeProps,
    config_notice
);

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
