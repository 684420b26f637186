//! The networked subcommands: `hub` (the ward-office server), `pair` (join a hub from its QR
//! payload) and `sync` (exchange documents with the paired hub). Stubs until the sync stack
//! lands; the lead engineer fleshes them out.

use std::path::Path;

use anyhow::bail;

use crate::Global;

#[derive(clap::Args, Debug, Clone, Default)]
pub struct HubArgs {
    /// Address to listen on, e.g. 0.0.0.0:8443.
    #[arg(long)]
    pub listen: Option<String>,
}

#[derive(clap::Args, Debug, Clone)]
pub struct PairArgs {
    /// The pairing payload shown in the hub's QR code.
    pub payload: String,
}

#[derive(clap::Args, Debug, Clone, Default)]
pub struct SyncArgs {}

pub fn hub(_args: HubArgs, _g: &Global) -> anyhow::Result<()> {
    bail!("not yet")
}

pub fn pair(_args: PairArgs, _g: &Global) -> anyhow::Result<()> {
    bail!("not yet")
}

pub fn sync(_args: SyncArgs, _g: &Global) -> anyhow::Result<()> {
    bail!("not yet")
}

/// Called by `gocua demo` after the ward is ready, unless `--no-serve`: starts the hub on the
/// demo replica. A no-op until the hub lands.
pub fn serve_demo(_db: &Path, _g: &Global) -> anyhow::Result<()> {
    Ok(())
}
