//! `portcullis`: the one binary. `portcullis start` runs role `all` on embedded storage.

use std::process::ExitCode;

use clap::Parser;
use portcullis::{config, logging, server};

fn main() -> ExitCode {
    let cli = config::Cli::parse();
    logging::init();
    match cli.command {
        config::Command::Start(opts) => match server::start(opts) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e}");
                eprintln!("portcullis: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
