//! `gocua phone serve`: the phone app in a desktop browser — a phone replica in a data folder
//! (encrypted, its key beside it), the built UI and the app's runtime on loopback HTTP. What the
//! Tauri app does on a phone, for trying the app on a desktop and for the browser end-to-end
//! tests over real replicas.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};
use gocua_shell::Shell;

use crate::Global;

#[derive(Debug, Args, Clone)]
pub struct PhoneArgs {
    #[command(subcommand)]
    pub cmd: PhoneCmd,
}

#[derive(Debug, Subcommand, Clone)]
pub enum PhoneCmd {
    /// Serve the app for one phone replica at http://127.0.0.1:PORT/ (loopback only).
    Serve(PhoneServeArgs),
}

#[derive(Debug, Args, Clone)]
pub struct PhoneServeArgs {
    /// The phone's data folder: replica.sqlite and its key file replica.sqlite.key.
    #[arg(long, default_value = "phone-data")]
    pub dir: PathBuf,
    /// The built UI (npm run build in ui/).
    #[arg(long, default_value = "ui/dist")]
    pub ui: PathBuf,
    /// Loopback address and port (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:1420")]
    pub bind: SocketAddr,
}

pub fn run(a: PhoneArgs, g: &Global) -> Result<()> {
    let lang = g.lang();
    let PhoneCmd::Serve(a) = a.cmd;
    if !a.ui.join("index.html").is_file() {
        let vi = format!(
            "Không thấy giao diện đã dựng ở {}: chạy `npm run build` trong ui/ trước",
            a.ui.display()
        );
        let en = format!(
            "No built UI at {}: run `npm run build` in ui/ first",
            a.ui.display()
        );
        return Err(anyhow!(lang.pick(&vi, &en).to_string()));
    }
    let shell = Shell::open(&a.dir, lang).map_err(anyhow::Error::new)?;
    if let Some(now) = g.now {
        shell.set_clock(Some(now));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(gocua_shell::http::serve(shell, a.ui, a.bind, |addr| {
        // One line a script can read, then the server runs until the process ends.
        println!("http://{addr}/");
        let _ = std::io::stdout().flush();
    }))?;
    Ok(())
}
