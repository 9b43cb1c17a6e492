//! The gRPC contract (`proto/portcullis/v1`) as Rust: messages, clients and servers, generated
//! at build time; and its descriptor set, for reflection and for clients that build their
//! stubs at run time. The gateway serves it; the load generator and tests call it.

#[allow(clippy::all, missing_docs)]
pub mod pb {
    tonic::include_proto!("portcullis.v1");
}

/// The descriptors of every service and message.
pub const DESCRIPTORS: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/portcullis_descriptor.bin"));
