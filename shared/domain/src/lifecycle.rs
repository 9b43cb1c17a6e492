/// Where an aggregate is in its life. A removed aggregate is never created again under the
/// same id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Lifecycle {
    #[default]
    New,
    Active,
    Removed,
}
