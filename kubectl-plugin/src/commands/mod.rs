//! One module per subcommand.

pub mod completion;
pub mod render;
pub mod snapshot;
pub mod status;
