//! One module per subcommand.

pub mod completion;
pub mod render;
