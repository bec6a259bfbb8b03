//! One module per subcommand.

pub mod apply;
pub mod complete;
pub mod completion;
pub mod fleet;
pub mod render;
pub mod rollback;
pub mod snapshot;
pub mod status;
pub mod version;
pub mod watch;
