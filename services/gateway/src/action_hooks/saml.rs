//! `presamlresponse` actions: before a SAML response is made, the `call` targets of the
//! function's execution are called in order, each with the attributes so far, and may append
//! attributes (`{append_attribute: [{name, name_format?, value: [...]}]}`). An attribute the
//! assertion has already is never replaced. A target that fails is skipped, or stops the
//! response when it is `interrupt_on_error` (`ACTION-0007`).

use domain::actions::Function;
use domain::Error;
use serde::{Deserialize, Serialize};

use super::call_function;
use crate::saml::response::Attribute;
use crate::Gateway;

/// Whom the response is about, and for which SP.
pub struct AttributesFor<'a> {
    pub instance: &'a str,
    pub user_id: &'a str,
    pub entity_id: &'a str,
}

#[derive(Serialize)]
struct AttributesCall<'a> {
    function: &'static str,
    instance_id: &'a str,
    user_id: &'a str,
    /// The SP's entity id.
    entity_id: &'a str,
    attributes: Vec<Attribute>,
}

#[derive(Deserialize)]
struct HookAnswer {
    #[serde(default)]
    append_attribute: Vec<Attribute>,
}

/// Calls the `presamlresponse` targets of the instance, appending what they answer.
pub async fn append_attributes(
    gw: &Gateway,
    to: &AttributesFor<'_>,
    attributes: &mut Vec<Attribute>,
) -> Result<(), Error> {
    let instance = to.instance;
    let function = Function::Presamlresponse;
    let body = |attributes: &Vec<Attribute>| AttributesCall {
        function: function.name(),
        instance_id: instance,
        user_id: to.user_id,
        entity_id: to.entity_id,
        attributes: attributes.clone(),
    };
    let apply = |attributes: &mut Vec<Attribute>, target_id: &str, a: HookAnswer| {
        for added in a.append_attribute {
            if attributes.iter().any(|have| have.name == added.name) {
                tracing::warn!(instance, target_id, attribute = %added.name, "an action may not replace an attribute; it is kept");
                continue;
            }
            attributes.push(added);
        }
    };
    call_function(gw, instance, function, attributes, body, apply).await
}
