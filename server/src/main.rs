use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    server::telemetry::init();
    server::cli::run(server::cli::Cli::parse()).await
}
