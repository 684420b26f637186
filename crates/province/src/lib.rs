//! The province's view: a ward hub pushes what its province needs from its projection into the
//! province's PostgreSQL (`gocua hub report`), and the province reads every ward side by side
//! (`gocua province`). Figures come from the store's own progress queries; households travel
//! only as opaque ids with their status. See ARCHITECTURE.md, "The province's view".

pub mod conn;
mod error;
pub mod job;
pub mod report;
pub mod schema;
pub mod send;
pub mod view;

pub use conn::Target;
pub use error::{Error, Result};
pub use job::{ReportOptions, Schedule, StoreAccess, Summary, report, spawn_reporter};
pub use send::{Outcome, Refusal};
#[cfg(feature = "testing")]
pub mod testing;
