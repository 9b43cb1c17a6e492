//! The hooks around a gRPC call: its message goes to the targets in proto3 JSON (with the
//! proto field names), read through the services' own descriptors, and what they answer is
//! read back into the message; an answer that does not fit the message stops the call
//! (`ACTION-0007`).

use std::sync::OnceLock;

use domain::{Code, Error};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use serde_json::Value;

use super::api::{ApiCall, Hooks};
use crate::Gateway;

fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(crate::grpc::DESCRIPTORS).expect("the gRPC descriptors decode")
    })
}

/// A method's request and response messages.
fn messages(method: &str) -> Option<(MessageDescriptor, MessageDescriptor)> {
    let (service, name) = method.split_once('/')?;
    let service = pool().get_service_by_name(service)?;
    let m = service.methods().find(|m| m.name() == name)?;
    Some((m.input(), m.output()))
}

fn to_json(desc: &MessageDescriptor, message: &impl prost::Message) -> Result<Value, Error> {
    let dynamic = DynamicMessage::decode(desc.clone(), message.encode_to_vec().as_slice())
        .map_err(|e| Error::internal(format!("the message cannot be read: {e}")))?;
    let options = SerializeOptions::new().use_proto_field_name(true);
    dynamic
        .serialize_with_options(serde_json::value::Serializer, &options)
        .map_err(|e| Error::internal(format!("the message cannot be written as JSON: {e}")))
}

fn from_json<M: prost::Message + Default>(
    desc: &MessageDescriptor,
    value: Value,
) -> Result<M, Error> {
    let unfit = |e: String| {
        Error::new(
            Code::ActionInterrupted,
            format!("an action answered what is not a {}: {e}", desc.full_name()),
        )
    };
    let dynamic =
        DynamicMessage::deserialize(desc.clone(), value).map_err(|e| unfit(e.to_string()))?;
    M::decode(dynamic.encode_to_vec().as_slice()).map_err(|e| unfit(e.to_string()))
}

/// The hooks of one gRPC call, and its request as they left it.
pub struct Around {
    hooks: Hooks,
    input: MessageDescriptor,
    output: MessageDescriptor,
    request: Value,
}

impl Around {
    /// The hooks of `method` for a caller of `instance`: none when it has none.
    pub async fn of(
        gw: &Gateway,
        instance: String,
        user_id: String,
        method: String,
    ) -> Result<Option<Around>, Error> {
        if !super::api::any(gw, &instance).await? {
            return Ok(None);
        }
        let Some((input, output)) = messages(&method) else {
            return Ok(None);
        };
        let call = ApiCall {
            instance,
            user_id,
            method,
            transport: "grpc",
        };
        Ok(Hooks::of(gw, call).await?.map(|hooks| Around {
            hooks,
            input,
            output,
            request: Value::Null,
        }))
    }

    /// The request as the request targets leave it.
    pub async fn request<M: prost::Message + Default>(
        &mut self,
        gw: &Gateway,
        message: M,
    ) -> Result<M, Error> {
        let sent = to_json(&self.input, &message)?;
        self.request = self.hooks.request(gw, sent.clone()).await?;
        match self.request == sent {
            true => Ok(message),
            false => from_json(&self.input, self.request.clone()),
        }
    }

    /// The answer as the response targets leave it.
    pub async fn response<R: prost::Message + Default>(
        &self,
        gw: &Gateway,
        answer: R,
    ) -> Result<R, Error> {
        if !self.hooks.on_response() {
            return Ok(answer);
        }
        let sent = to_json(&self.output, &answer)?;
        let changed = self.hooks.response(gw, &self.request, sent.clone()).await?;
        match changed == sent {
            true => Ok(answer),
            false => from_json(&self.output, changed),
        }
    }
}
