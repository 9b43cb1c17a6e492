//! Nothing but tests (`tests/read_models.rs`): the read-model contract on both adapters, with
//! events made by the real command bus and applied by the real projector. A crate of its own,
//! so that `readmodel` depends on no service, not even for its tests.
